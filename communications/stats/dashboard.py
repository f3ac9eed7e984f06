"""The dashboard's queries: a handful of grouped reads of the precomputed tables.

The message table is never read in bulk here: KPIs, charts, funnel, reasons and
ROI come from DailyStat/LiftStat; the live parts (clients at their caps today,
pending per segment, last sweep runs) read bounded slices (today's messages, the
outbox, two days of SweepRun).
"""

import datetime
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, Count, Max, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ventas.segments import SEGMENT_LABELS, SEGMENTS

from .. import calendar as cal
from .. import sweeps
from ..models import COUNTED_STATUSES, Category, Message, Reason
from . import charts, kpis
from .models import DailyStat, LiftStat

# Reason codes other parts add (stats.md) may reach the rollup before their enum labels do.
EXTRA_REASON_LABELS = {
    "holdout": gettext_lazy("Grupo de control (holdout)"),
    "campaign_holdout": gettext_lazy("Grupo de control de la campaña"),
    "suppressed": gettext_lazy("Suprimido (datos borrados)"),
    "send_time": gettext_lazy("Hora de envío optimizada"),
}
CHANNEL_LABELS = {"sms": gettext_lazy("SMS"), "email": gettext_lazy("Email")}
MAX_RANGE_DAYS = 400
# An SMS status keeps moving for hours after handing over (stats.md): the delivery rate
# counts only days whose messages were handed over at least this long ago.
SMS_SETTLE = timedelta(hours=2)
NEAR_CAP_ROWS = 50


def reason_label(code: str) -> str:
    if code in Reason.values:
        return str(Reason(code).label)
    return str(EXTRA_REASON_LABELS.get(code, code))


def segment_label(code: str) -> str:
    return str(SEGMENT_LABELS.get(code, code or _("Sin segmento")))


def default_range(now) -> tuple[datetime.date, datetime.date]:
    today = cal.localdate(now)
    return today - timedelta(days=29), today


def _buckets(start, end, channel):
    qs = DailyStat.objects.filter(day__gte=start, day__lte=end)
    return qs.filter(channel=channel) if channel else qs


def _sums():
    return {name: Sum(name) for name in kpis.COUNTERS}


def segment_rows(start, end, channel) -> list[dict]:
    """Counters per segment × channel × kind over the range (a few hundred rows at most)."""
    return list(_buckets(start, end, channel).values("segment", "channel", "kind").annotate(**_sums()).order_by())


def day_rows(start, end, channel) -> list[dict]:
    return list(_buckets(start, end, channel).values("day", "channel").annotate(**_sums()).order_by())


# Each reason dict is expanded and summed by the database (one row per field and reason),
# instead of shipping and decoding three JSON documents per bucket of the range.
_JSON_EACH = {"postgresql": "jsonb_each_text", "sqlite": "json_each"}
_REASON_COUNTS = {"blocked_by_reason": "blocked", "deferred_by_reason": "deferred", "cancelled_by_reason": "cancelled"}


def reason_totals(start, end, channel) -> dict:
    """{"blocked_by_reason": {reason: n}, "deferred_by_reason": {...}, "cancelled_by_reason": {...}} over the range."""
    json_each = _JSON_EACH.get(connection.vendor)
    if json_each is None:
        rows = (
            _buckets(start, end, channel)
            .filter(Q(blocked__gt=0) | Q(deferred__gt=0) | Q(cancelled__gt=0))
            .values(*_REASON_COUNTS)
        )
        return {name: kpis.total(rows)[name] for name in _REASON_COUNTS}
    table = DailyStat._meta.db_table
    where = "d.day >= %s AND d.day <= %s" + (" AND d.channel = %s" if channel else "")
    args = [start, end, channel] if channel else [start, end]
    parts, params = [], []
    for name, count in _REASON_COUNTS.items():
        # Names come from the model and the constants above, values are parameters.
        parts.append(
            f"SELECT '{name}', e.key, SUM(CAST(e.value AS bigint)) FROM {table} d, {json_each}(d.{name}) e"  # noqa: S608
            f" WHERE {where} AND d.{count} > 0 GROUP BY e.key"
        )
        params += args
    totals = {name: {} for name in _REASON_COUNTS}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for name, reason, n in cursor.fetchall():
            if n:
                totals[name][reason] = int(n)
    return totals


def last_settled_day(now) -> datetime.date:
    return cal.localdate(now - SMS_SETTLE) - timedelta(days=1)


def settled_sms_rows(start, end, now) -> list[dict]:
    last_settled = last_settled_day(now)
    return segment_rows(start, min(end, last_settled), "sms") if start <= last_settled else []


def segment_and_settled_rows(start, end, channel, now) -> tuple[list[dict], list[dict]]:
    """``segment_rows`` of the range and ``settled_sms_rows`` of it, from one grouped read of the rollup."""
    settled_flag = Case(
        When(day__lte=last_settled_day(now), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    merged, settled = {}, []
    rows = (
        _buckets(start, end, channel)
        .annotate(settled=settled_flag)
        .values("segment", "channel", "kind", "settled")
        .annotate(**_sums())
        .order_by()
    )
    for row in rows:
        if row.pop("settled") and row["channel"] == "sms":
            settled.append(row)
        key = (row["segment"], row["channel"], row["kind"])
        if key in merged:
            target = merged[key]
            for name in kpis.COUNTERS:
                target[name] += row[name] or 0
        else:
            merged[key] = {**row, **{name: row[name] or 0 for name in kpis.COUNTERS}}
    return list(merged.values()), settled


def marketing_cost_by_segment(start, end) -> dict[str, int]:
    rows = (
        DailyStat.objects.filter(day__gte=start, day__lte=end, kind__in=kpis.MARKETING_KINDS)
        .values("segment")
        .annotate(cost=Sum("cost_clp"))
        .order_by()
    )
    return {r["segment"]: r["cost"] or 0 for r in rows}


@dataclass
class LiftView:
    period: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None
    by_segment: dict = field(default_factory=dict)  # segment ("" = all) -> LiftStat


def lift_for(start, end) -> LiftView:
    """All-marketing lift per segment of the stored period closest to the range."""
    periods = list(LiftStat.objects.filter(kind="").values_list("period", "period_start", "period_end").distinct())
    chosen = kpis.closest_period(periods, start, end)
    if chosen is None:
        return LiftView()
    rows = list(LiftStat.objects.filter(period=chosen, kind=""))
    return LiftView(chosen, rows[0].period_start, rows[0].period_end, {r.segment: r for r in rows})


def roi_by_segment(rows: list[dict], lift: LiftView) -> list[kpis.SegmentRoi]:
    """Marketing cost, attributed revenue and ROI per segment, with the incremental figures beside them."""
    marketing = [r for r in rows if r["kind"] in kpis.MARKETING_KINDS]
    sums = kpis.group(marketing, "segment")
    lift_cost = marketing_cost_by_segment(lift.start, lift.end) if lift.period else {}
    order = {s: i for i, s in enumerate(SEGMENTS)}
    result = []
    for segment in sorted(set(sums) | set(lift.by_segment) - {""}, key=lambda s: (order.get(s, len(order)), s)):
        s = sums.get(segment, {})
        item = kpis.SegmentRoi(segment, s.get("cost_clp", 0), s.get("revenue_clp", 0), None)
        item.roi = kpis.roi(item.revenue, item.cost)
        stat = lift.by_segment.get(segment)
        if stat is not None:
            item.lift = lift_dict(stat)
            item.lift_roi = kpis.roi(stat.incremental_revenue_clp, lift_cost.get(segment, 0))
        result.append(item)
    return result


def lift_dict(stat: LiftStat) -> dict:
    return {
        "revenue": stat.incremental_revenue_clp,
        "low": stat.incremental_revenue_low,
        "high": stat.incremental_revenue_high,
        "verdict": stat.verdict,
        "treated": stat.treated_clients,
        "control": stat.control_clients,
    }


@dataclass
class SegmentRisk:
    segment: str
    label: str
    clients: int  # clients with a stored score in the segment
    at_risk: int  # of them, in the high band ("alto", P(churn) ≥ 0.7)
    value_at_risk: int  # their value: CLP paid in the last 365 days (specs/insights.md)


@dataclass
class RiskFigure:
    rows: list = field(default_factory=list)  # SegmentRisk, in the CRM's segment order
    clients: int = 0
    at_risk: int = 0
    value_at_risk: int = 0
    scored_at: datetime.datetime | None = None  # the latest scoring (the rows are as of then)


def risk_by_segment() -> RiskFigure:
    """Clients in the high churn band and the CLP they put at risk, per segment.

    One GROUP BY over the stored ClientInsight rows (one per scored client, the
    segment stored when scored); objectors have no row and are never counted.
    """
    from ..insights.models import ClientInsight, RiskBand

    high = Q(risk_band=RiskBand.HIGH)
    grouped = (
        ClientInsight.objects.filter(churn_probability__isnull=False)
        .values("segment")
        .annotate(
            clients=Count("pk"),
            at_risk=Count("pk", filter=high),
            value_at_risk=Coalesce(Sum("value_clp", filter=high), 0),
            scored_at=Max("scored_at"),
        )
        .order_by()
    )
    order = {s: i for i, s in enumerate(SEGMENTS)}
    figure = RiskFigure()
    for row in sorted(grouped, key=lambda r: (order.get(r["segment"], len(order)), r["segment"])):
        figure.rows.append(
            SegmentRisk(
                row["segment"], segment_label(row["segment"]), row["clients"], row["at_risk"], row["value_at_risk"]
            )
        )
        figure.clients += row["clients"]
        figure.at_risk += row["at_risk"]
        figure.value_at_risk += row["value_at_risk"]
        if figure.scored_at is None or row["scored_at"] > figure.scored_at:
            figure.scored_at = row["scored_at"]
    return figure


@dataclass
class NearCap:
    cliente_id: int
    name: str
    sms_today: int
    sms_month: int
    email_week: int
    at_limit: bool


def clients_near_caps(now, limit: int = NEAR_CAP_ROWS) -> tuple[list[NearCap], int]:
    """Clients at a cap or one below it today. Candidates are the clients with messages counted
    today (a bounded slice); their day, month and week usage is read in one grouped query.
    Returns (the first ``limit`` of them, how many there are)."""
    today = cal.localdate(now)
    month_start, _end = cal.window("month", today)
    week_start, week_end = cal.window("week", today)
    counted = Message.objects.filter(status__in=COUNTED_STATUSES)
    today_clients = counted.filter(counts_on=today).order_by().values("cliente_id").distinct()
    sms_day, sms_month_limit, email_limit = (
        settings.SMS_DAILY_LIMIT,
        settings.SMS_MONTHLY_LIMIT,
        settings.EMAIL_WEEKLY_LIMIT,
    )
    # One grouped read of those clients' rows in the month and the week: an index-only scan of
    # msg_client_day_usage per client (hence counting cliente, a key column, not the id).
    sms, marketing_email = Q(channel="sms"), Q(channel="email", category=Category.MARKETING)
    usage = (
        counted.filter(
            counts_on__gte=min(month_start, week_start),
            counts_on__lte=max(today, week_end),
            cliente_id__in=Subquery(today_clients),
        )
        .values("cliente_id")
        .annotate(
            today=Count("cliente", filter=sms & Q(counts_on=today)),
            month=Count("cliente", filter=sms & Q(counts_on__gte=month_start, counts_on__lte=today)),
            week=Count("cliente", filter=marketing_email & Q(counts_on__gte=week_start, counts_on__lte=week_end)),
        )
        .order_by()
    )
    # Near = one below a cap (at least 1); at = reached. The database keeps the near ones, ranks
    # them (at the limit first, then most SMS today and this month) and counts them, so only the
    # rows shown come back, however many clients wrote today.
    inner, params = usage.query.sql_with_params()
    q = connection.ops.quote_name
    day_n, month_n, week_n = q("today"), q("month"), q("week")
    at = f"({day_n} >= %s OR {month_n} >= %s OR {week_n} >= %s)"
    sql = (
        f"SELECT cliente_id, {day_n}, {month_n}, {week_n}, {at}, COUNT(*) OVER () FROM ({inner}) u"  # noqa: S608
        f" WHERE {day_n} >= %s OR {month_n} >= %s OR {week_n} >= %s"
        f" ORDER BY CASE WHEN {at} THEN 0 ELSE 1 END, {day_n} DESC, {month_n} DESC, cliente_id LIMIT %s"
    )
    caps = [sms_day, sms_month_limit, email_limit]
    near = [max(1, cap - 1) for cap in caps]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*caps, *params, *near, *caps, limit])
        shown = [(cid, day, month, week, bool(reached), total) for cid, day, month, week, reached, total in cursor]
    hits_total = shown[0][5] if shown else 0
    from ventas.models import Cliente

    names = dict(Cliente.objects.filter(pk__in=[h[0] for h in shown]).values_list("pk", "nombre"))
    return [NearCap(h[0], names.get(h[0], str(h[0])), h[1], h[2], h[3], h[4]) for h in shown], hits_total


@dataclass
class RunRow:
    task: str
    label: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    ok: bool | None
    counts: str
    silent: bool


def sweep_rows(now) -> list[RunRow]:
    from ..triggers import TRIGGERS

    watched = set(settings.ALERT_WATCHED_SWEEPS)
    rows = []
    for task, run in sorted(sweeps.last_runs(now).items()):
        name = task.removeprefix("trigger:")
        label = str(TRIGGERS[name].label) if task.startswith("trigger:") and name in TRIGGERS else task
        counts = ", ".join(f"{k}: {v}" for k, v in list(run.counts.items())[:6] if v) or "—"
        silent = task in watched and run.started_at < now - timedelta(minutes=15)
        rows.append(RunRow(task, label, run.started_at, run.finished_at, run.ok, counts, silent))
    return rows


def replies_to_review() -> int:
    """SMS replies waiting for a person (the replies inbox's "por revisar")."""
    from ..feedback.replies import count_to_review

    return count_to_review()


def chart_days(start, end) -> list[datetime.date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def charts_for(days, rows, channel) -> list[dict]:
    """Sent/delivered/failed per day for each channel shown, and opens/clicks/conversions."""
    result = []
    for ch in [channel] if channel else ["sms", "email"]:
        series = kpis.per_day([r for r in rows if r["channel"] == ch], days, ("handed", "delivered", "failed"))
        labels = [("handed", _("Enviados")), ("delivered", _("Entregados")), ("failed", _("Fallidos"))]
        result.append(
            _chart(
                f"chart-{ch}",
                _("%(c)s: enviados, entregados y fallidos por día") % {"c": CHANNEL_LABELS[ch]},
                days,
                series,
                labels,
            )
        )
    series = kpis.per_day(rows, days, ("opens", "clicks", "conversions"))
    labels = [("opens", _("Aperturas")), ("clicks", _("Clics")), ("conversions", _("Conversiones"))]
    result.append(_chart("chart-engagement", _("Aperturas, clics y conversiones por día"), days, series, labels))
    return result


def grouped(n: int) -> str:
    """An integer with the active language's thousands separator (what ``intcomma`` prints)."""
    return f"{n:,}".replace(",", get_format("THOUSAND_SEPARATOR"))


def _chart(chart_id, title, days, series, labels) -> dict:
    lines = [charts.Series(str(label), series[key]) for key, label in labels]
    totals = ", ".join(f"{s.label}: {sum(s.values)}" for s in lines)
    description = _("Del %(a)s al %(b)s. Totales: %(t)s.") % {
        "a": f"{days[0]:%d/%m/%Y}",
        "b": f"{days[-1]:%d/%m/%Y}",
        "t": totals,
    }
    return {
        "id": chart_id,
        "title": title,
        "svg": charts.line_chart(chart_id, title, description, days, lines),
        "headers": [s.label for s in lines],
        # Formatted here (as intcomma and the date filter would), not by a filter per cell.
        "table": [(f"{day:%d/%m/%Y}", [grouped(s.values[i]) for s in lines]) for i, day in enumerate(days)],
    }


def figures(start, end, channel: str = "", *, now=None) -> dict:
    """Everything the page and the CSV show for a range and channel ("" = both)."""
    now = now or timezone.now()
    rows, settled = segment_and_settled_rows(start, end, channel, now)
    totals = kpis.total(rows)
    reasons = reason_totals(start, end, channel)
    lift = lift_for(start, end)
    by_channel = kpis.group(rows, "channel")
    return {
        "tiles": kpis.tiles(rows, sms_delivery_rows=settled if channel in ("", "sms") else []),
        "totals": totals,
        "funnel": kpis.funnel(totals),
        "blocked": _by_reason(reasons["blocked_by_reason"]),
        "deferred": _by_reason(reasons["deferred_by_reason"]),
        "cancelled": _by_reason(reasons["cancelled_by_reason"]),
        "cost": [(CHANNEL_LABELS.get(ch, ch), s["cost_clp"], s["handed"]) for ch, s in sorted(by_channel.items())],
        "roi": roi_by_segment(rows, lift),
        "lift": lift,
        "rows": rows,
    }


def _by_reason(counts: dict) -> list[tuple[str, str, int]]:
    return [(code, reason_label(code), n) for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n]
