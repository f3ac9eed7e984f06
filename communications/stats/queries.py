"""The dashboard's figures, read from the rollup only (and the same figures from raw rows, for comparison).

``dashboard_figures`` is the contract with the dashboard, CSV export and weekly
report: a plain dict, documented below; keys are only ever added.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Sum

from .. import calendar as cal
from ..models import DailyStat, LiftStat, Message
from .rollup import COUNTERS, bucket_cost, counter_aggregates

# DailyStat counters summed by the dashboard (cost is stored per bucket).
STAT_COUNTERS = tuple(c for c in COUNTERS if c != "sms_cost_clp") + ("cost_clp",)
REASON_FIELDS = ("blocked_by_reason", "deferred_by_reason", "cancelled_by_reason")


def rates(t: dict) -> dict:
    """Rates with their explicit denominators (ARCHITECTURE §10); None when the denominator is 0.

    delivery = delivered / handed; open, click, complaint, opt-out, reply, conversion =
    per delivered message; bounce = bounces / sent; ROI = (revenue - cost) / cost.
    """

    def ratio(num, den):
        return (num / den) if den else None

    return {
        "delivery_rate": ratio(t["delivered"], t["handed"]),
        "open_rate": ratio(t["opens"], t["delivered"]),
        "click_rate": ratio(t["clicks"], t["delivered"]),
        "reply_rate": ratio(t["replies"], t["delivered"]),
        "complaint_rate": ratio(t["complaints"], t["delivered"]),
        "opt_out_rate": ratio(t["opt_outs"], t["delivered"]),
        "bounce_rate": ratio(t["bounces"], t["sent"]),
        "conversion_rate": ratio(t["conversions"], t["delivered"]),
        "roi": ratio(t["revenue_clp"] - t["cost_clp"], t["cost_clp"]),
    }


def _empty():
    return dict.fromkeys(STAT_COUNTERS, 0)


def dashboard_figures(start: datetime.date, end: datetime.date, channel: str | None = None) -> dict:
    """Figures for local days ``start``..``end`` (inclusive), one channel or both (None).

    Returns::

        {
          "start": date, "end": date, "channel": "sms" | "email" | None,
          "totals": {counter: int, ...},            # requested, blocked, deferred, cancelled, expired,
                                                    # pending, handed, sent, delivered, failed, unknown,
                                                    # opens, clicks, replies, opt_outs, complaints,
                                                    # bounces, conversions, revenue_clp, cost_clp
          "rates": {name: float | None},            # see rates(): delivery_rate, open_rate, click_rate,
                                                    # reply_rate, complaint_rate, opt_out_rate,
                                                    # bounce_rate, conversion_rate, roi
          "by_channel": {"sms": {counters + "rates"}, "email": {...}},
          "sms_delivery_settled": {"delivered": int, "handed": int, "rate": float | None},
                                                    # SMS delivery without today's bucket (statuses
                                                    # still move for hours after handing over)
          "blocked_by_reason": {reason: int}, "deferred_by_reason": {...}, "cancelled_by_reason": {...},
          "by_day": [{"day": date, "channel": str, counters...}],   # ordered by day, channel
          "by_segment": [{"segment": str, "channel": str, counters..., "rates": {...}}],
          "by_kind": [{"kind": str, "channel": str, counters..., "rates": {...}}],
        }

    Reads only DailyStat (a few hundred rows per month), never the message table.
    """
    qs = DailyStat.objects.filter(day__gte=start, day__lte=end)
    if channel:
        qs = qs.filter(channel=channel)
    sums = {c: Sum(c) for c in STAT_COUNTERS}

    def grouped(*keys):
        return [
            {**{k: row[k] for k in keys}, **{c: row[c] or 0 for c in STAT_COUNTERS}}
            for row in qs.values(*keys).annotate(**sums).order_by(*keys)
        ]

    by_day = grouped("day", "channel")
    by_channel = {}
    totals = _empty()
    for row in grouped("channel"):
        counters = {c: row[c] for c in STAT_COUNTERS}
        by_channel[row["channel"]] = {**counters, "rates": rates(counters)}
        for c in STAT_COUNTERS:
            totals[c] += counters[c]
    today = cal.localdate(datetime.datetime.now(datetime.UTC))
    settled = [r for r in by_day if r["channel"] == "sms" and r["day"] < today]
    delivered, handed = sum(r["delivered"] for r in settled), sum(r["handed"] for r in settled)

    by_reason = {f: defaultdict(int) for f in REASON_FIELDS}
    for row in qs.exclude(blocked=0, deferred=0, cancelled=0).values_list(*REASON_FIELDS):
        for field, counts in zip(REASON_FIELDS, row, strict=True):
            for reason, n in (counts or {}).items():
                by_reason[field][reason] += n

    def with_rates(rows):
        return [{**r, "rates": rates(r)} for r in rows]

    return {
        "start": start,
        "end": end,
        "channel": channel,
        "totals": totals,
        "rates": rates(totals),
        "by_channel": by_channel,
        "sms_delivery_settled": {
            "delivered": delivered,
            "handed": handed,
            "rate": delivered / handed if handed else None,
        },
        **{f: dict(sorted(by_reason[f].items())) for f in REASON_FIELDS},
        "by_day": by_day,
        "by_segment": with_rates(grouped("segment", "channel")),
        "by_kind": with_rates(grouped("kind", "channel")),
    }


def raw_totals(start: datetime.date, end: datetime.date, channel: str | None = None) -> dict:
    """The same ``totals`` straight from the message table (the benchmark's baseline; slow at scale)."""
    qs = Message.objects.filter(counts_on__gte=start, counts_on__lte=end)
    if channel:
        qs = qs.filter(channel=channel)
    totals = _empty()
    for row in qs.values("channel").annotate(**counter_aggregates()).order_by():
        for c in STAT_COUNTERS:
            if c != "cost_clp":
                totals[c] += row[c]
        totals["cost_clp"] += bucket_cost(row["channel"], row, settings.EMAIL_COST_PER_1000_CLP)
    return totals


def lift_for(start: datetime.date, end: datetime.date) -> dict:
    """The stored lift period closest to the range, per (segment, kind) ("" = all).

    Returns {"period": label, "period_start": date, "period_end": date,
    "rows": {(segment, kind): LiftStat}} or {} when nothing is stored yet. Closest =
    the smallest total distance between the range's ends and the period's ends.
    """
    periods = LiftStat.objects.values_list("period", "period_start", "period_end").distinct()
    if not periods:
        return {}
    label, first, last = min(periods, key=lambda p: abs((p[1] - start).days) + abs((p[2] - end).days))
    rows = {(r.segment, r.kind): r for r in LiftStat.objects.filter(period=label)}
    return {"period": label, "period_start": first, "period_end": last, "rows": rows}
