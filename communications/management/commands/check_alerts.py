"""Evaluate the KPI and invariant alerts now (what beat does every 15 minutes)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from communications.stats.alerts import check, title

ACTIONS = {
    "raised": _("NUEVA"),
    "repeated": _("sigue"),
    "resolved": _("resuelta"),
    "unchanged": _("sin cambios"),
}
DRY_ACTIONS = {
    "raised": _("se abriría"),
    "repeated": _("seguiría abierta"),
    "resolved": _("se resolvería"),
    "unchanged": _("sin cambios"),
}


class Command(BaseCommand):
    help = _("Revisa las alertas (quejas, bajas, entrega, rebotes, límites, cola, tareas, canales) y avisa por email.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=_("muestra qué cambiaría sin escribir ni enviar"))

    def handle(self, *args, dry_run, **options):
        outcomes = check(dry_run=dry_run)
        labels = DRY_ACTIONS if dry_run else ACTIONS
        for outcome in outcomes:
            line = f"{labels[outcome.action]:>18}  {title(outcome.code)}"
            if outcome.emailed:
                line += _(" (aviso enviado por email)")
            self.stdout.write(line)
        firing = sum(o.action in ("raised", "repeated") for o in outcomes)
        self.stdout.write(
            _("%(n)d alertas abiertas.") % {"n": firing} if not dry_run else _("Simulación: nada se escribió.")
        )
