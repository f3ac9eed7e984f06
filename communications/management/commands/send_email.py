from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ._manual import add_common_arguments, run


class Command(BaseCommand):
    help = _("Envía un email a un cliente pasando por todas las reglas (consentimiento, límites, horario).")

    def add_arguments(self, parser):
        add_common_arguments(parser)
        parser.add_argument("--kind", help=_("tipo de mensaje (p. ej. vip_newsletter)"))
        parser.add_argument("--text", help=_("texto libre; admite {{ nombre }}"))
        parser.add_argument("--subject", default="", help=_("asunto para un texto libre"))

    def handle(self, *args, **o):
        run(
            self,
            channel="email",
            cliente=o["cliente"],
            kind=o["kind"],
            text=o["text"],
            subject=o["subject"],
            dry_run=o["dry_run"],
            contexto=o["contexto"],
            transaccional=o["transaccional"],
            actor=o["actor"],
        )
