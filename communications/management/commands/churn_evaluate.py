"""Churn model against recency and an RFM logistic regression, on the project's or an external log."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from communications.insights import churn, logs, sources
from communications.insights.commands import EvaluateCommand, fmt


class Command(EvaluateCommand):
    help = _("Evalúa la predicción de abandono contra recencia y RFM (no escribe nada).")

    def add_arguments(self, parser):
        self.add_common(parser)
        parser.add_argument("--cutoff", required=True, help=_("fecha de corte AAAA-MM-DD"))
        parser.add_argument("--horizon-days", type=int, default=180, help=_("días de la ventana de etiqueta"))
        parser.add_argument("--train-label-days", type=int, default=None, help=_("días de la etiqueta al entrenar"))
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **o):
        cutoff = self.parse_cutoff(o["cutoff"], with_time=False)
        if o["horizon_days"] < 1 or (o["train_label_days"] is not None and o["train_label_days"] < 1):
            raise CommandError(_("--horizon-days y --train-label-days deben ser mayores que 0."))
        rows, skipped = self.load(logs.read_purchases, sources.purchases, o["csv"])
        history = churn.occasions(rows)
        try:
            with self.evaluating():
                result = churn.evaluate(history, cutoff, o["horizon_days"], o["train_label_days"], o["seed"])
        except churn.EvaluationError as exc:
            if exc.args[0] == "window_after_data":
                raise CommandError(
                    _("La ventana de etiqueta termina el %(end)s, después del último dato (%(last)s).")
                    % {"end": exc.args[1], "last": exc.args[2]}
                ) from exc
            if exc.args[0] == "no_data":
                raise CommandError(_("No hay compras válidas en los datos.")) from exc
            raise CommandError(_("Ningún cliente tiene compras antes del corte.")) from exc
        result["skipped_rows"] = skipped
        self.emit(result, o["json"], _lines)


def _lines(r):
    yield _("Clientes: %(n)s (recurrentes: %(r)s); filas omitidas: %(s)s") % {
        "n": r["customers"],
        "r": r["repeaters"],
        "s": r["skipped_rows"],
    }
    yield _("%(name)-14s  AUC     AUC rec.  Brier   Brier rec.") % {"name": ""}
    for name, m in [("modelo", r["model"])] + list(r["baselines"].items()):
        auc, brier = f"{fmt(m['auc'])}  {fmt(m['auc_repeaters'])}", f"{fmt(m['brier'])}  {fmt(m['brier_repeaters'])}"
        yield f"{name:<14}  {auc}    {brier}"
    yield _("Calibración (tramo, n, predicho, observado):")
    for row in r["calibration"]:
        yield f"  {row['bin']}  {row['n']:>6}  {fmt(row['mean_predicted'])}  {fmt(row['observed'])}"
    yield _("En uso: %(u)s") % {"u": r["in_use"]}
