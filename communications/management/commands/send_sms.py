from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ._manual import add_common_arguments, run


class Command(BaseCommand):
    help = _("Envía un SMS a un cliente pasando por todas las reglas (consentimiento, límites, horario).")

    def add_arguments(self, parser):
        add_common_arguments(parser)
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--kind", help=_("tipo de mensaje (p. ej. birthday)"))
        what.add_argument("--text", help=_("texto libre; admite {{ nombre }}"))

    def handle(self, *args, **o):
        run(
            self,
            channel="sms",
            cliente=o["cliente"],
            kind=o["kind"],
            text=o["text"],
            subject="",
            dry_run=o["dry_run"],
            contexto=o["contexto"],
            transaccional=o["transaccional"],
            actor=o["actor"],
        )
