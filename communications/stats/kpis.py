"""KPI figures from rollup buckets: plain rows in, plain figures out.

Shared by the dashboard, its CSV export, the alerts and the weekly report, so a
rate means the same everywhere. Denominators are explicit (ARCHITECTURE §10):
delivery = delivered / handed to the provider; open, click, conversion,
complaint and opt-out rates = per delivered message. SMS has no opens, so the
plan's "apertura SMS" is its delivery rate.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ..kinds import KINDS
from ..models import Category

# The bucket's counters, defined once beside the rollup query.
from .queries import STAT_COUNTERS as COUNTERS

BY_REASON = ("blocked_by_reason", "deferred_by_reason", "cancelled_by_reason")

# Campaign and manual kinds count as marketing: staff rarely mark them transactional,
# and the rollup keeps no category.
MARKETING_KINDS = frozenset(name for name, kind in KINDS.items() if kind.category == Category.MARKETING)
REACTIVATION_KINDS = frozenset({"reactivation_email", "reactivation_sms"})


def _get(row, name, default=0):
    value = row.get(name, default) if isinstance(row, dict) else getattr(row, name, default)
    return default if value is None else value


def total(rows) -> dict:
    """Sum of every counter over ``rows`` (dicts or objects); reason dicts are merged."""
    sums = dict.fromkeys(COUNTERS, 0)
    reasons = {name: Counter() for name in BY_REASON}
    for row in rows:
        # The dashboard sums thousands of rows per page: read dicts directly, skip zeros.
        get = row.get if isinstance(row, dict) else (lambda name, row=row: getattr(row, name, None))
        for name in COUNTERS:
            value = get(name)
            if value:
                sums[name] += value
        for name in BY_REASON:
            value = get(name)
            if value:
                reasons[name].update(value)
    sums.update({name: dict(counter) for name, counter in reasons.items()})
    return sums


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def rate(sums: dict, numerator: str, denominator: str) -> Rate:
    return Rate(sums.get(numerator, 0), sums.get(denominator, 0))


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    op: str  # "min": must stay above; "max": must stay below
    threshold: float
    numerator_label: str
    denominator_label: str

    def status(self, value: float | None) -> str:
        """ok / warn / bad / none. "warn" = within 10% of a ceiling (the alerts resolve below 90%)."""
        if value is None:
            return "none"
        if self.op == "min":
            return "ok" if value > self.threshold else "bad"
        if value >= self.threshold:
            return "bad"
        return "warn" if value >= 0.9 * self.threshold else "ok"

    @property
    def text(self) -> str:
        sign = ">" if self.op == "min" else "<"
        return f"{sign} {percent(self.threshold)}"


# The plan's success metrics.
TARGETS = {
    t.key: t
    for t in [
        Target("sms_delivery", _("Entrega SMS"), "min", 0.95, _("entregados"), _("SMS entregados al proveedor")),
        Target("email_open", _("Apertura email"), "min", 0.25, _("aperturas únicas"), _("emails entregados")),
        Target(
            "reactivation_conversion",
            _("Conversión de reactivación"),
            "min",
            0.10,
            _("conversiones"),
            _("mensajes de reactivación entregados"),
        ),
        Target("complaints", _("Quejas de spam"), "max", 0.001, _("quejas"), _("mensajes entregados")),
        Target("opt_outs", _("Bajas"), "max", 0.02, _("bajas"), _("mensajes entregados")),
    ]
}


STATUS_LABELS = {
    "ok": _("en meta"),
    "warn": _("cerca del límite"),
    "bad": _("fuera de meta"),
    "none": _("sin datos"),
}


@dataclass(frozen=True)
class Tile:
    target: Target
    rate: Rate
    status: str
    side: Rate | None = None  # click rate beside the open rate
    side_label: str = ""
    note: str = ""


def tiles(rows, *, sms_delivery_rows=None) -> list[Tile]:
    """The five KPI tiles. ``sms_delivery_rows``: the buckets whose SMS statuses have settled
    (the caller leaves out the last hours of the range); defaults to ``rows``."""
    rows = list(rows)
    sms = total(r for r in (rows if sms_delivery_rows is None else sms_delivery_rows) if _get(r, "channel") == "sms")
    email = total(r for r in rows if _get(r, "channel") == "email")
    reactivation = total(r for r in rows if _get(r, "kind") in REACTIVATION_KINDS)
    everything = total(rows)
    figures = [
        ("sms_delivery", rate(sms, "delivered", "handed"), None, "", ""),
        (
            "email_open",
            rate(email, "opens", "delivered"),
            rate(email, "clicks", "delivered"),
            _("clics"),
            _("Las aperturas están infladas por proxies de privacidad (Apple Mail): mire los clics."),
        ),
        ("reactivation_conversion", rate(reactivation, "conversions", "delivered"), None, "", ""),
        ("complaints", rate(everything, "complaints", "delivered"), None, "", ""),
        ("opt_outs", rate(everything, "opt_outs", "delivered"), None, "", ""),
    ]
    return [
        Tile(TARGETS[key], r, TARGETS[key].status(r.value), side, side_label, note)
        for key, r, side, side_label, note in figures
    ]


def roi(revenue: float | None, cost: float) -> float | None:
    """(revenue - cost) / cost; None ("—") when nothing was spent."""
    if revenue is None or not cost:
        return None
    return (revenue - cost) / cost


def group(rows, *keys) -> dict:
    """{key tuple (or the single key): total(rows of it)}."""
    buckets: dict = {}
    for row in rows:
        key = tuple(_get(row, k, "") for k in keys)
        buckets.setdefault(key[0] if len(keys) == 1 else key, []).append(row)
    return {key: total(members) for key, members in buckets.items()}


def per_day(rows, days: list[datetime.date], fields: tuple[str, ...]) -> dict[str, list[int]]:
    """Each field's daily series over ``days`` (missing days are 0)."""
    by_day = group(rows, "day")
    return {f: [by_day.get(day, {}).get(f, 0) for day in days] for f in fields}


@dataclass(frozen=True)
class FunnelStep:
    label: str
    value: int
    share: float | None  # of requested
    indent: int = 0


def funnel(sums: dict) -> list[FunnelStep]:
    """requested = blocked + cancelled + expired + pending + handed; then what happened after handing over."""
    requested = sums.get("requested", 0)

    def step(label, name, indent=0):
        value = sums.get(name, 0)
        return FunnelStep(label, value, value / requested if requested else None, indent)

    return [
        step(_("Solicitados"), "requested"),
        step(_("Bloqueados"), "blocked", 1),
        step(_("Cancelados"), "cancelled", 1),
        step(_("Expirados"), "expired", 1),
        step(_("Pendientes"), "pending", 1),
        step(_("Entregados al proveedor"), "handed", 1),
        step(_("Entregados"), "delivered", 2),
        step(_("Aperturas únicas (email)"), "opens", 3),
        step(_("Clics"), "clicks", 3),
        step(_("Conversiones (atribuidas)"), "conversions", 3),
    ]


@dataclass
class SegmentRoi:
    segment: str
    cost: int
    revenue: int
    roi: float | None
    lift: dict = field(default_factory=dict)  # incremental revenue, interval, verdict, period
    lift_roi: float | None = None


def closest_period(periods: list[tuple[str, datetime.date, datetime.date]], start, end) -> str | None:
    """The stored lift period whose dates are closest to the chosen range (total distance of both ends)."""
    if not periods:
        return None
    return min(periods, key=lambda p: (abs((p[1] - start).days) + abs((p[2] - end).days), p[0]))[0]


def compare(current: float | None, previous: float | None) -> float | None:
    """Change from the previous period, in the figure's own unit (points for rates)."""
    if current is None or previous is None:
        return None
    return current - previous


def percent(value: float | None, digits: int | None = None) -> str:
    """Spanish (Chile) percentage: 95,2 % (0,05 % below one percent); "—" when there is no denominator."""
    if value is None:
        return "—"
    if digits is None:
        digits = 2 if 0 < abs(value) < 0.01 else 1
    return f"{value * 100:.{digits}f}".replace(".", ",") + " %"


def clp(value: float | None) -> str:
    """CLP as every staff screen writes it ($1.234.567, ventas.admin.clp); "—" when there is no figure."""
    if value is None:
        return "—"
    from ventas.admin import clp as money

    return money(value)
