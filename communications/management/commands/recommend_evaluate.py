"""Recommendations against popularity, buy-again and item–item co-occurrence."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from communications.insights import logs, recommend, sources
from communications.insights.commands import EvaluateCommand, fmt


class Command(EvaluateCommand):
    help = _("Evalúa las recomendaciones contra popularidad, volver a comprar y co-ocurrencia (no escribe nada).")

    def add_arguments(self, parser):
        self.add_common(parser)
        parser.add_argument("--cutoff", required=True, help=_("corte AAAA-MM-DDTHH:MM"))
        parser.add_argument("--k", type=int, default=3)

    def handle(self, *args, **o):
        cutoff = self.parse_cutoff(o["cutoff"], with_time=True)
        if o["k"] < 1:
            raise CommandError(_("--k debe ser mayor que 0."))
        rows, skipped = self.load(logs.read_items, sources.items, o["csv"])
        with self.evaluating():
            result = recommend.evaluate(rows, cutoff, o["k"])
        result["skipped_rows"] = skipped
        result["k"] = o["k"]
        self.emit(result, o["json"], _lines)


def _lines(r):
    k = r["k"]
    yield _("Clientes evaluados: %(n)s; ítems: %(i)s; filas omitidas: %(s)s") % {
        "n": r["customers"],
        "i": r["items"],
        "s": r["skipped_rows"],
    }
    yield f"{'':<12}  hit@{k}   recall@{k}  map@{k}   nuevos hit@{k}"
    for name, m in [("modelo", r["model"])] + list(r["baselines"].items()):
        yield (
            f"{name:<12}  {fmt(m[f'hit@{k}'])}  {fmt(m[f'recall@{k}'])}    "
            f"{fmt(m[f'map@{k}'])}  {fmt(m[f'new_items_hit@{k}'])}"
        )
    yield _("En uso: %(u)s") % {"u": r["in_use"]}
