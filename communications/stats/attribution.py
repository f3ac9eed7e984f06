"""Attributed conversions ("atribuido, no causal"): which message gets credit for a booking.

Pure: touches and bookings in, {message id: booking} out. A touch is an SMS's
delivery, or an email's click, else its human open. A paid or partly paid booking
whose creation lies in (touch, touch + window] converts the client's last touch
before it. A booking converts at most one message, and a message is credited with
at most one booking: the first one (more bookings would count one message twice).
Windows are elapsed time (5 days = 120 hours), so a DST change neither stretches
nor shrinks them.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Touch:
    message_id: int
    cliente_id: int
    at: datetime.datetime
    window: datetime.timedelta


@dataclass(frozen=True)
class Booking:
    reserva_id: int
    cliente_id: int
    created: datetime.datetime
    paid_clp: int


def touch_time(channel: str, delivered_at, clicked_at, opened_at, machine_open: bool):
    """When the client demonstrably saw the message, or None (an SMS not delivered, an unopened email)."""
    if channel == "sms":
        return delivered_at
    if clicked_at:
        return clicked_at
    return opened_at if opened_at and not machine_open else None


def _utc(moment: datetime.datetime) -> datetime.datetime:
    # Aware arithmetic in a zoneinfo zone is wall-clock arithmetic; the window is elapsed time.
    return moment.astimezone(datetime.UTC)


def attribute(bookings, touches, taken=frozenset()) -> dict[int, Booking]:
    """{message id: booking} for every booking that converts a touch.

    ``taken`` holds message ids already credited with a booking outside this batch
    (a message converts once); bookings are processed oldest first, so within the
    batch each message keeps its first booking.
    """
    by_client = defaultdict(list)
    for touch in touches:
        by_client[touch.cliente_id].append(touch)
    taken = set(taken)
    credited: dict[int, Booking] = {}
    for booking in sorted(bookings, key=lambda b: (b.created, b.reserva_id)):
        candidates = [t for t in by_client[booking.cliente_id] if t.at < booking.created <= _utc(t.at) + t.window]
        if not candidates:
            continue
        last = max(candidates, key=lambda t: (t.at, t.message_id))
        if last.message_id in taken:
            continue
        taken.add(last.message_id)
        credited[last.message_id] = booking
    return credited
