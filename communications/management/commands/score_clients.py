"""Train the insight models and store a churn score, send hour and recommendations per client."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from communications.insights import scoring
from communications.progress import advance_to, progress


class Command(BaseCommand):
    help = _("Entrena los modelos y guarda riesgo de abandono, mejor hora y recomendaciones por cliente.")

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=1000, help=_("clientes por página"))

    def handle(self, *args, chunk, **options):
        with progress(desc=_("Puntuando"), unit=_("clientes")) as bar:
            result = scoring.train_and_score(
                chunk=max(1, chunk), progress=lambda done, total: advance_to(bar, done, total)
            )
        self.stdout.write(
            _("Clientes puntuados: %(n)s; excluidos por oposición al perfilamiento: %(e)s; abandono: %(c)s")
            % {"n": result["scored"], "e": result["excluded"], "c": result["churn"]}
        )
