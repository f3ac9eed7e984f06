from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from communications.models import Reason
from communications.simulation import simulate

from .run_triggers import parse_local

OUTCOMES = {
    "sent": _("enviados"),
    "pending": _("pendientes"),
    "blocked": _("bloqueados"),
    "cancelled": _("cancelados"),
    "expired": _("expirados"),
    "failed": _("fallidos"),
}


def label(outcome, reason):
    text = OUTCOMES.get(outcome, outcome)
    return f"{text} ({Reason(reason).label})" if reason else text


class Command(BaseCommand):
    help = _(
        "Simula todos los disparadores hora a hora durante los próximos N días, sin tocar los datos reales "
        "(todo ocurre en una transacción que se revierte), y muestra qué se enviaría y qué se bloquearía."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--start", help=_("inicio, hora local de Santiago (AAAA-MM-DD HH:MM); por defecto ahora"))
        parser.add_argument("--quiet", action="store_true", help=_("solo totales, sin el detalle por día"))

    def handle(self, *args, days, start, quiet, **options):
        if days < 1:
            raise CommandError(_("--days debe ser al menos 1."))
        begin = parse_local(start) if start else timezone.now().replace(minute=0, second=0, microsecond=0)
        result = simulate(days, begin)
        if not quiet:
            for day in sorted(result.per_day):
                items = sorted(result.per_day[day].items())
                line = "; ".join(f"{kind}: {n} {label(outcome, reason)}" for (kind, outcome, reason), n in items)
                self.stdout.write(f"{day:%Y-%m-%d}  {line}")
        self.stdout.write(_("Totales en %(d)d días:") % {"d": days})
        for (kind, outcome, reason), n in sorted(result.totals.items()):
            self.stdout.write(f"  {kind:<22} {n:>6}  {label(outcome, reason)}")
        if result.expired_by_first_reason:
            self.stdout.write(_("Expirados sin enviar, por motivo de la primera decisión:"))
            for (kind, first_reason), n in sorted(result.expired_by_first_reason.items()):
                why = Reason(first_reason).label if first_reason else _("sin demora (programado a tiempo)")
                self.stdout.write(f"  {kind:<22} {n:>6}  {why}")
        if result.violations:
            for problem in result.violations:
                self.stderr.write(problem)
            raise CommandError(_("%(n)d infracciones de las reglas.") % {"n": len(result.violations)})
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Ningún cliente superó un límite, ningún mensaje se duplicó y todo bloqueo tiene motivo. "
                    "No se guardó ni envió nada."
                )
            )
        )
