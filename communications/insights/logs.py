"""Reading external purchase logs (plain CSV) for the evaluation commands.

Bad input is an error naming its line, never a crash or a silent drop; rows the
spec says to skip (empty customer id, non-positive amount) are counted.
"""

import csv
import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


class LogError(ValueError):
    """Input that the evaluation cannot use; the message is for staff (Spanish) and names the line."""


@dataclass
class Parsed:
    rows: list = field(default_factory=list)
    skipped: int = 0


def parse_timestamp(text: str, line: int | None = None) -> dt.datetime:
    """A naive local time from ``YYYY-MM-DD`` or ``YYYY-MM-DD[T ]HH:MM[:SS]``; an offset is an error."""
    value = (text or "").strip()
    where = _("línea %(n)s: ") % {"n": line} if line else ""
    match = _TIMESTAMP.match(value)
    if not match:
        if _OFFSET.search(value) and len(value) > 10:
            raise LogError(
                where + _("la fecha «%(v)s» trae zona horaria; use hora local sin desfase.") % {"v": value[:40]}
            )
        raise LogError(where + _("fecha no válida «%(v)s» (use AAAA-MM-DD o AAAA-MM-DDTHH:MM).") % {"v": value[:40]})
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        return dt.datetime(*parts)
    except ValueError as exc:
        raise LogError(where + _("fecha imposible «%(v)s».") % {"v": value[:40]}) from exc


def _reader(path: str, required: tuple[str, ...]):
    try:
        handle = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed by the caller's generator
    except OSError as exc:
        raise LogError(_("No se puede abrir el archivo «%(p)s»: %(e)s") % {"p": path, "e": exc.strerror}) from exc
    reader = csv.DictReader(handle)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except UnicodeDecodeError as exc:
        handle.close()
        raise LogError(_("línea 1: el archivo no está en UTF-8.")) from exc
    missing = [c for c in required if c not in header]
    if missing:
        handle.close()
        raise LogError(
            _("línea 1: faltan columnas %(m)s (se esperan %(r)s).") % {"m": ", ".join(missing), "r": ",".join(required)}
        )
    reader.fieldnames = header
    return handle, reader


def _rows(path: str, required: tuple[str, ...]):
    handle, reader = _reader(path, required)
    with handle:
        try:
            for row in reader:
                line = reader.line_num
                if any(row.get(c) is None for c in required):
                    raise LogError(_("línea %(n)s: faltan valores.") % {"n": line})
                yield line, {k: (v or "").strip() for k, v in row.items() if k is not None}
        except UnicodeDecodeError as exc:
            raise LogError(_("línea %(n)s: el archivo no está en UTF-8.") % {"n": reader.line_num + 1}) from exc
        except csv.Error as exc:
            raise LogError(_("línea %(n)s: CSV mal formado (%(e)s).") % {"n": reader.line_num, "e": exc}) from exc


def read_purchases(path: str) -> Parsed:
    """``customer_id,date,amount`` → rows of (customer, date, amount)."""
    out = Parsed()
    for line, row in _rows(path, ("customer_id", "date", "amount")):
        customer = row["customer_id"]
        try:
            amount = float(row["amount"].replace(",", "."))
        except ValueError as exc:
            raise LogError(_("línea %(n)s: monto no válido «%(v)s».") % {"n": line, "v": row["amount"][:40]}) from exc
        if amount != amount or amount in (float("inf"), float("-inf")):
            raise LogError(_("línea %(n)s: monto no válido «%(v)s».") % {"n": line, "v": row["amount"][:40]})
        when = parse_timestamp(row["date"], line)
        if not customer or amount <= 0:
            out.skipped += 1
            continue
        out.rows.append((customer, when.date(), amount))
    return out


def read_items(path: str) -> Parsed:
    """``customer_id,item,timestamp[,basket_id]`` → rows of (customer, item, timestamp, basket_id or None)."""
    out = Parsed()
    for line, row in _rows(path, ("customer_id", "item", "timestamp")):
        customer, item = row["customer_id"], row["item"]
        when = parse_timestamp(row["timestamp"], line)
        if not customer:
            out.skipped += 1
            continue
        if not item:
            raise LogError(_("línea %(n)s: falta el ítem.") % {"n": line})
        out.rows.append((customer, item, when, row.get("basket_id") or None))
    return out


def read_events(path: str) -> Parsed:
    """``customer_id,timestamp`` → rows of (customer, timestamp)."""
    out = Parsed()
    for line, row in _rows(path, ("customer_id", "timestamp")):
        when = parse_timestamp(row["timestamp"], line)
        if not row["customer_id"]:
            out.skipped += 1
            continue
        out.rows.append((row["customer_id"], when))
    return out
