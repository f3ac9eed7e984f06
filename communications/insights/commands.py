"""What the three evaluation commands share: output (JSON on stdout, the rest on stderr), rounding."""

import contextlib
import json
import math

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ..progress import progress
from .logs import LogError, parse_timestamp


def rounded(value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def fmt(value) -> str:
    return "—" if value is None else f"{value:.4f}"


class EvaluateCommand(BaseCommand):
    """Reads a log (or the project's data), evaluates, prints; writes nothing to the database."""

    def add_common(self, parser):
        parser.add_argument("--csv", dest="csv", help=_("registro externo en CSV (sin él: los datos del proyecto)"))
        parser.add_argument("--json", action="store_true", help=_("imprime un objeto JSON"))

    def parse_cutoff(self, text, with_time: bool):
        try:
            when = parse_timestamp(text)
        except LogError as exc:
            raise CommandError(_("--cutoff: %(e)s") % {"e": exc}) from exc
        return when if with_time else when.date()

    def load(self, reader, source, path):
        if path:
            try:
                parsed = reader(path)
            except LogError as exc:
                raise CommandError(str(exc)) from exc
            return parsed.rows, parsed.skipped
        return list(progress(source(), desc=_("Leyendo datos"), unit=_("filas"))), 0

    @contextlib.contextmanager
    def evaluating(self):
        """One step shown on a terminal while the models are fitted and scored."""
        with progress(total=1, desc=_("Evaluando"), unit=_("evaluación")) as bar:
            yield
            bar.update(1)

    def emit(self, result: dict, as_json: bool, lines):
        result = rounded(result)
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
        else:
            for line in lines(result):
                self.stdout.write(line)
