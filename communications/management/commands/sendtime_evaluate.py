"""Best send time against a fixed hour, the population's best hour and the client's own hours."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from communications.insights import logs, sendtime, sources
from communications.insights.commands import EvaluateCommand, fmt


class Command(EvaluateCommand):
    help = _("Evalúa la mejor hora de envío contra horas fijas y propias (no escribe nada).")

    def add_arguments(self, parser):
        self.add_common(parser)
        parser.add_argument("--cutoff", required=True, help=_("corte AAAA-MM-DDTHH:MM"))
        parser.add_argument("--allowed-hours", default=None, help=_("horas permitidas A-B (A … B−1), p. ej. 9-20"))
        parser.add_argument("--history-last", type=int, default=None, help=_("solo los últimos N eventos por cliente"))

    def handle(self, *args, **o):
        cutoff = self.parse_cutoff(o["cutoff"], with_time=True)
        try:
            allowed = sendtime.parse_allowed(o["allowed_hours"])
        except ValueError as exc:
            raise CommandError(
                _("--allowed-hours «%(v)s» no es válido: use A-B con 0 ≤ A < B ≤ 24.") % {"v": o["allowed_hours"]}
            ) from exc
        if o["history_last"] is not None and o["history_last"] < 2:
            raise CommandError(_("--history-last debe ser al menos 2."))
        rows, skipped = self.load(logs.read_events, sources.engagement_events, o["csv"])
        with self.evaluating():
            result = sendtime.evaluate(rows, cutoff, allowed, o["history_last"])
        result["skipped_rows"] = skipped
        self.emit(result, o["json"], _lines)


def _lines(r):
    yield _("Clientes evaluados: %(n)s; filas omitidas: %(s)s; mejor hora de la población: %(h)s") % {
        "n": r["customers"],
        "s": r["skipped_rows"],
        "h": r["population_best_hour"],
    }
    for name, m in [("modelo", r["model"])] + list(r["baselines"].items()):
        yield f"{name:<16}  hit±1h {fmt(m['hit_pm1h'])}"
    yield _("En uso: %(u)s") % {"u": r["in_use"]}
