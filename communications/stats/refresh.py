"""Loading and storing for the statistics: rollup buckets, attribution stamps, lift rows.

Every write overwrites: a day's buckets are deleted and rebuilt in one transaction,
attribution stamps of the bookings in the window are cleared and recomputed, lift
rows are replaced. Running any of it twice, or late, changes nothing.
"""

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import calendar as cal
from ..models import Category, DailyStat, Message, Status
from . import attribution
from .bulk import insert_rows
from .rollup import COUNTERS, DEFERRAL_REASONS, bucket_cost, counter_aggregates

log = logging.getLogger(__name__)

BUCKET = ("counts_on", "channel", "kind", "client_segment", "campaign_key")
PAID_STATES = ("pagado", "parcial")
DAYS_PER_TRANSACTION = 31


def last_days(n: int, *, today: datetime.date | None = None) -> list[datetime.date]:
    today = today or cal.localdate(timezone.now())
    return [today - datetime.timedelta(days=i) for i in range(n - 1, -1, -1)]


def future_days_to_refresh(today: datetime.date) -> set[datetime.date]:
    """Future days holding pending messages, and future days with buckets (promotion may have emptied them)."""
    pending = Message.objects.filter(counts_on__gt=today, status__in=(Status.SCHEDULED, Status.QUEUED))
    days = set(pending.values_list("counts_on", flat=True).distinct())
    return days | set(DailyStat.objects.filter(day__gt=today).values_list("day", flat=True).distinct())


def refresh(days=None, *, now=None, lift: bool = False, tick=None) -> dict:
    """Recompute attribution for bookings created on ``days`` and the buckets of ``days``.

    ``days`` is an iterable of local dates (default: the last 2 local days). Buckets of
    earlier days whose messages gained or lost a conversion are rebuilt too, so credit
    moves with the booking. ``lift``: also recompute the LiftStat rows (nightly).
    ``tick(done, total)`` reports rebuilt days (a command's progress bar).
    """
    now = now or timezone.now()
    today = cal.localdate(now)
    days = set(days) if days is not None else set(last_days(2, today=today))
    touched = refresh_attribution(days, today=today) if days else set()
    all_days = sorted(days | touched)
    buckets = rebuild_days(all_days, now=now, tick=tick)
    result = {"days": len(all_days), "buckets": buckets, "restamped_days": len(touched - days)}
    if lift:
        from .lift_refresh import refresh_lift

        result["lift_rows"] = refresh_lift(today=today, now=now)
    return result


def refresh_nightly(now=None) -> dict:
    now = now or timezone.now()
    today = cal.localdate(now)
    return refresh(set(last_days(35, today=today)) | future_days_to_refresh(today), now=now, lift=True)


def rebuild_days(days, *, now, tick=None) -> int:
    """Overwrite the buckets of ``days`` with a recount; returns the bucket count.

    Days go in groups of up to ``DAYS_PER_TRANSACTION``: one GROUP BY per group and one
    transaction per group, so each day is replaced atomically (never half-counted)
    and a year's rebuild costs a dozen commits instead of 365.
    """
    days = sorted(set(days))
    written = 0
    for i in range(0, len(days), DAYS_PER_TRANSACTION):
        written += _rebuild(days[i : i + DAYS_PER_TRANSACTION], now=now)
        if tick:
            tick(min(i + DAYS_PER_TRANSACTION, len(days)), len(days))
    return written


def _rebuild(days, *, now) -> int:
    per_1000 = settings.EMAIL_COST_PER_1000_CLP
    with transaction.atomic():
        messages = Message.objects.filter(counts_on__in=days)
        reasons = _reasons_by_bucket(messages)
        stats = []
        for row in _grouped(messages):
            key = tuple(row[k] for k in BUCKET)
            counters = {c: row[c] for c in COUNTERS if c != "sms_cost_clp"}
            stats.append(
                {
                    "day": row["counts_on"],
                    "channel": row["channel"],
                    "kind": row["kind"],
                    "segment": row["client_segment"] or "",
                    "campaign_id": row["campaign_key"],
                    "cost_clp": bucket_cost(row["channel"], row, per_1000),
                    "refreshed_at": now,
                    **counters,
                    **reasons.get(key, {}),
                }
            )
        DailyStat.objects.filter(day__in=days).delete()
        # Plain rows (COPY / executemany): a year's rebuild writes ~15k buckets.
        insert_rows(DailyStat, stats)
    return len(stats)


def _grouped(qs):
    return (
        qs.annotate(campaign_key=Coalesce(F("campaign_id"), Value(0)))
        .values(*BUCKET)
        .annotate(**counter_aggregates())
        .order_by()
    )


def _reasons_by_bucket(qs) -> dict:
    """{bucket: {"blocked_by_reason": {...}, "deferred_by_reason": {...}, "cancelled_by_reason": {...}}}."""
    from django.db.models import Count

    out = defaultdict(lambda: {"blocked_by_reason": {}, "deferred_by_reason": {}, "cancelled_by_reason": {}})
    keyed = qs.annotate(campaign_key=Coalesce(F("campaign_id"), Value(0)))
    closed = (
        keyed.filter(status__in=(Status.BLOCKED, Status.CANCELLED))
        .values(*BUCKET, "status", "reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in closed:
        field = "blocked_by_reason" if row["status"] == Status.BLOCKED else "cancelled_by_reason"
        out[tuple(row[k] for k in BUCKET)][field][row["reason"] or "-"] = row["n"]
    deferred = (
        keyed.filter(first_status=Status.SCHEDULED, first_reason__in=DEFERRAL_REASONS)
        .values(*BUCKET, "first_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in deferred:
        out[tuple(row[k] for k in BUCKET)]["deferred_by_reason"][row["first_reason"]] = row["n"]
    return out


def attribution_windows() -> dict[str, datetime.timedelta]:
    return {
        "email": datetime.timedelta(days=settings.ATTRIBUTION_EMAIL_DAYS),
        "sms": datetime.timedelta(days=settings.ATTRIBUTION_SMS_DAYS),
    }


def refresh_attribution(days, *, today: datetime.date) -> set[datetime.date]:
    """Re-credit the bookings created on ``days`` (past and today only); returns bucket days it changed."""
    from ventas.models import VentaReserva

    past = [d for d in days if d <= today]
    if not past:
        return set()
    start = cal.at_local(min(past), datetime.time.min)
    end = cal.at_local(max(past) + datetime.timedelta(days=1), datetime.time.min)
    windows = attribution_windows()
    longest = max(windows.values())

    with transaction.atomic():
        in_window = VentaReserva.objects.filter(fecha_creacion__gte=start, fecha_creacion__lt=end)
        stale = Message.objects.filter(conversion_reserva__in=in_window.values("pk"))
        changed_days = set(stale.values_list("counts_on", flat=True).distinct())
        stale.update(converted_at=None, conversion_reserva=None, conversion_revenue_clp=None)

        bookings = [
            attribution.Booking(pk, cliente_id, created, pagado)
            for pk, cliente_id, created, pagado in in_window.filter(estado_pago__in=PAID_STATES).values_list(
                "pk", "cliente_id", "fecha_creacion", "pagado"
            )
        ]
        if not bookings:
            return changed_days
        clients = {b.cliente_id for b in bookings}
        earliest = start - longest
        seen = Q(delivered_at__gte=earliest) | Q(clicked_at__gte=earliest) | Q(opened_at__gte=earliest)
        candidates = Message.objects.filter(
            seen, cliente_id__in=clients, category=Category.MARKETING, created_at__lt=end
        ).values_list(
            "pk",
            "cliente_id",
            "channel",
            "delivered_at",
            "clicked_at",
            "opened_at",
            "machine_open",
            "conversion_reserva_id",
            "counts_on",
        )
        touches, taken, day_of = [], set(), {}
        for pk, cid, channel, delivered, clicked, opened, machine, credited, counts_on in candidates:
            at = attribution.touch_time(channel, delivered, clicked, opened, machine)
            if at is None:
                continue
            touches.append(attribution.Touch(pk, cid, at, windows[channel]))
            day_of[pk] = counts_on
            if credited:
                taken.add(pk)
        credited = attribution.attribute(bookings, touches, taken)
        adapt = connection.ops.adapt_datetimefield_value
        updates = []
        for message_id, booking in credited.items():
            updates.append((adapt(booking.created), booking.reserva_id, booking.paid_clp, message_id))
            changed_days.add(day_of[message_id])
        if updates:
            # One prepared UPDATE per stamp (bulk_update's CASE WHEN batches cost seconds per thousand).
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {Message._meta.db_table} SET converted_at = %s, conversion_reserva_id = %s,"  # noqa: S608
                    " conversion_revenue_clp = %s WHERE id = %s",
                    updates,
                )
    return changed_days
