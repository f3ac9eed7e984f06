from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communications.models import Reason
from communications.progress import progress
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
        with progress(total=days * 24, desc=_("Simulando"), unit="h") as bar:
            result = simulate(days, begin, tick=bar.update)
        if not quiet:
            for day in sorted(result.per_day):
                items = sorted(result.per_day[day].items())
                line = "; ".join(f"{kind}: {n} {label(outcome, reason)}" for (kind, outcome, reason), n in items)
                self.stdout.write(f"{day:%Y-%m-%d}  {line}")
        self.stdout.write(_("Totales en %(d)d días:") % {"d": days})
        for (kind, outcome, reason), n in sorted(result.totals.items()):
            self.stdout.write(f"  {kind:<22} {n:>6}  {label(outcome, reason)}")
        self.report_checks(result)
        self.report_expired(result)
        self.report_birthdays(result)
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

    def report_checks(self, result):
        self.stdout.write(_("Verificaciones:"))
        for name, text in CHECKS.items():
            self.stdout.write(f"  {text}: {len(result.problems.get(name, []))}")

    def report_expired(self, result):
        at_decision = sum(result.expired_at_decision.values())
        late = sum(result.expired_late.values())
        self.stdout.write(
            _(
                "Vencidos: %(d)d rechazados al decidir (su próxima hora permitida era posterior al vencimiento), "
                "%(l)d expirados en la cola."
            )
            % {"d": at_decision, "l": late}
        )
        for kind, n in sorted(result.expired_at_decision.items()):
            self.stdout.write(f"  {kind:<22} {n:>6}  " + _("rechazados al decidir"))
        for (kind, first_reason), n in sorted(result.expired_late.items()):
            why = Reason(first_reason).label if first_reason else _("sin demora (programado a tiempo)")
            self.stdout.write(
                f"  {kind:<22} {n:>6}  " + _("expirados en la cola; primera decisión: %(w)s") % {"w": why}
            )
        knowable = sum(result.expired_knowable.values())
        self.stdout.write(
            _("Expirados en la cola por una causa que el filtro conocía al decidir: %(n)d") % {"n": knowable}
        )

    def report_birthdays(self, result):
        sent = sum(n for (outcome, _r), n in result.birthdays.items() if outcome == "sent")
        total = sum(result.birthdays.values())
        self.stdout.write(_("Cumpleaños: %(t)d saludos decididos, %(s)d enviados.") % {"t": total, "s": sent})
        for (outcome, reason), n in sorted(result.birthdays.items()):
            if outcome != "sent":
                self.stdout.write(f"  {n:>6}  {label(outcome, reason)}")
        expired = sum(result.birthdays_expired.values())
        self.stdout.write(_("  Cumpleaños vencidos sin enviar: %(n)d") % {"n": expired})
        for cause, n in sorted(result.birthdays_expired.items()):
            self.stdout.write(f"    {n:>6}  {birthday_cause_label(cause)}")
        by_hours = result.birthdays_expired["closed_day"] + result.birthdays_expired["quiet_hours"]
        self.stdout.write(
            _("  Cumpleaños vencidos por horario (domingo, feriado o fuera de horario): %(n)d") % {"n": by_hours}
        )


CHECKS = {
    "caps": gettext_lazy("Clientes sobre un límite"),
    "quiet_hours": gettext_lazy("Marketing enviado fuera del horario permitido"),
    "duplicates": gettext_lazy("Mensajes duplicados"),
    "unexplained": gettext_lazy("Bloqueos sin motivo"),
    "expired_knowable": gettext_lazy("Vencimientos previsibles que no se rechazaron al decidir"),
}


def birthday_cause_label(cause: str) -> str:
    if cause == "closed_day":
        return _("domingo o feriado")
    if cause == "quiet_hours":
        return _("fuera de horario")
    if not cause:
        return _("sin demora (no salió a tiempo)")
    return Reason(cause).label
