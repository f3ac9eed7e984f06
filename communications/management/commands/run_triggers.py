import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from communications import calendar as cal
from communications.kinds import get_kind
from communications.models import Reason
from communications.triggers import TRIGGERS, run

STATUS = {
    "queued": _("en cola"),
    "scheduled": _("programados"),
    "blocked": _("bloqueados"),
    "duplicate": _("duplicados"),
}


def parse_local(value: str) -> datetime.datetime:
    """'2026-11-25 10:00' read as Santiago wall-clock time."""
    try:
        naive = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(_("Fecha inválida %(v)r: usa AAAA-MM-DD HH:MM (hora de Santiago).") % {"v": value}) from None
    if naive.tzinfo:
        return naive
    return cal.at_local(naive.date(), naive.time())


class Command(BaseCommand):
    help = _("Ejecuta los disparadores automáticos (todos o uno) y muestra qué se enviaría o se envió.")

    def add_arguments(self, parser):
        parser.add_argument("--type", default="all", help=_("nombre del disparador o 'all'"))
        parser.add_argument("--dry-run", action="store_true", help=_("no escribe ni envía nada"))
        parser.add_argument("--at", help=_("momento simulado, hora local de Santiago (AAAA-MM-DD HH:MM)"))

    def handle(self, *args, type, dry_run, at, **options):
        if type != "all" and type not in TRIGGERS:
            raise CommandError(
                _("Disparador desconocido: %(t)s. Opciones: all, %(o)s") % {"t": type, "o": ", ".join(TRIGGERS)}
            )
        now = parse_local(at) if at else timezone.now()
        names = list(TRIGGERS) if type == "all" else [type]
        for name in names:
            trigger = TRIGGERS[name]
            report = run(trigger, now, dry_run=dry_run)
            # Staff read the Spanish name; the code in brackets is what --type takes.
            heading = f"{trigger.label} [{name}]: "
            self.stdout.write((_("[simulación] ") if dry_run else "") + heading + summary(report, name))


def summary(report, trigger_name: str) -> str:
    if not report.counts:
        return _("nada pendiente") + (
            _(" (%d ya procesados)") % report.skipped_existing if report.skipped_existing else ""
        )
    parts = []
    for (kind, status, reason), n in sorted(report.counts.items()):
        label = f"{n} {STATUS.get(status, status)}"
        if reason:
            label += f" ({Reason(reason).label})"
        # A trigger with one kind needs no second name; the welcome series names its step.
        parts.append(label if kind == trigger_name else f"{get_kind(kind).label}: {label}")
    return "; ".join(parts)
