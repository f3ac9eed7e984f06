"""Train the insight models and store a churn score, send hour and recommendations per client."""

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from communications.insights import scoring


class Command(BaseCommand):
    help = _("Entrena los modelos y guarda riesgo de abandono, mejor hora y recomendaciones por cliente.")

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=1000, help=_("clientes por página"))

    def handle(self, *args, chunk, **options):
        progress = None
        if sys.stderr.isatty():

            def progress(done, total):
                sys.stderr.write("\r" + _("%(d)s de %(t)s clientes") % {"d": done, "t": total})
                sys.stderr.flush()

        result = scoring.train_and_score(chunk=max(1, chunk), progress=progress)
        if progress:
            sys.stderr.write("\n")
        self.stdout.write(
            _("Clientes puntuados: %(n)s; excluidos por oposición al perfilamiento: %(e)s; abandono: %(c)s")
            % {"n": result["scored"], "e": result["excluded"], "c": result["churn"]}
        )
