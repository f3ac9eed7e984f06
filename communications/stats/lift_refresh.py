"""Loading for the lift: who was eligible in each period, in which arm, and what they paid.

Eligible (shared/specs/stats.md): clients with at least one marketing message of the
group created in the period that passed consent, contactability and the segment
rule; control = its first such message was blocked as ``holdout``. A campaign's own
holdout is that campaign's experiment, not the global one: those messages count in
neither arm. The client's segment is that of their first such message. They convert
on paid or partly paid bookings created in [first message, period end + the
channel's attribution window]; revenue is what they paid on them.
"""

import datetime
from bisect import bisect_left, bisect_right
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from .. import calendar as cal
from ..models import Category, LiftStat, Message, Reason
from . import lift as L
from .refresh import PAID_STATES, attribution_windows

# Decisions taken before the holdout: these clients could not have received the message.
BEFORE_HOLDOUT = (
    Reason.OPTED_OUT,
    Reason.NO_PHONE,
    Reason.INVALID_PHONE,
    Reason.NO_EMAIL,
    Reason.INVALID_EMAIL,
    Reason.EMAIL_UNDELIVERABLE,
    Reason.SEGMENT,
    Reason.DUPLICATE,
    Reason.CAMPAIGN_HOLDOUT,
)


def periods(today: datetime.date, months: int = 12) -> list[tuple[str, datetime.date, datetime.date]]:
    """(label, first, last) local dates: the last 30 and 90 days and each calendar month back ``months``."""
    out = [
        ("30d", today - datetime.timedelta(days=29), today),
        ("90d", today - datetime.timedelta(days=89), today),
    ]
    first = today.replace(day=1)
    for _ in range(months + 1):
        last = cal.window("month", first)[1]
        out.append((first.strftime("%Y-%m"), first, min(last, today)))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return out


def refresh_lift(*, today: datetime.date, now=None, months: int = 12) -> int:
    """Replace every LiftStat row; returns how many were written."""
    now = now or timezone.now()
    rows = []
    for label, first, last in periods(today, months):
        for (segment, kind), result in period_lifts(first, last).items():
            rows.append(
                LiftStat(
                    period=label,
                    period_start=first,
                    period_end=last,
                    segment=segment,
                    kind=kind,
                    computed_at=now,
                    **result.__dict__,
                )
            )
    with transaction.atomic():
        LiftStat.objects.all().delete()
        LiftStat.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def period_lifts(first: datetime.date, last: datetime.date) -> dict[tuple[str, str], L.Lift]:
    """{(segment, kind): Lift} with "" meaning every segment / all marketing."""
    from ventas.models import VentaReserva

    start = cal.at_local(first, datetime.time.min)
    end = cal.at_local(last + datetime.timedelta(days=1), datetime.time.min)
    messages = (
        Message.objects.filter(category=Category.MARKETING, created_at__gte=start, created_at__lt=end)
        .exclude(first_reason__in=BEFORE_HOLDOUT)
        .order_by("created_at", "pk")
        .values_list("cliente_id", "kind", "channel", "client_segment", "created_at", "first_reason")
    )
    # Per group, each client's first eligible message: (created, channel, segment, control).
    firsts: dict[tuple[str, str], dict[int, tuple]] = defaultdict(dict)
    for cid, kind, channel, segment, created, reason in messages.iterator(chunk_size=5000):
        entry = (created, channel, segment or "", reason == Reason.HOLDOUT)
        overall = firsts[("", "")].setdefault(cid, entry)
        firsts[("", kind)].setdefault(cid, entry)
        firsts[(overall[2], "")].setdefault(cid, overall)
    if not firsts:
        return {}

    windows = attribution_windows()
    paid = defaultdict(list)  # client -> sorted [(created, pagado)]
    clients = list(firsts[("", "")])
    for i in range(0, len(clients), 5000):
        rows = VentaReserva.objects.filter(
            cliente_id__in=clients[i : i + 5000],
            estado_pago__in=PAID_STATES,
            fecha_creacion__gte=start,
            fecha_creacion__lte=end + max(windows.values()),
        ).values_list("cliente_id", "fecha_creacion", "pagado")
        for cid, created, amount in rows:
            paid[cid].append((created, amount))
    times = {}
    for cid, bookings in paid.items():
        bookings.sort()
        times[cid] = [b[0] for b in bookings]

    results = {}
    for group, clients_first in firsts.items():
        treated, control = [], []
        for cid, (created, channel, _segment, is_control) in clients_first.items():
            revenue = 0
            if cid in paid:
                lo = bisect_left(times[cid], created)
                hi = bisect_right(times[cid], end + windows[channel])
                revenue = sum(amount for _t, amount in paid[cid][lo:hi])
            (control if is_control else treated).append(revenue)
        results[group] = L.lift(treated, control)
    return results
