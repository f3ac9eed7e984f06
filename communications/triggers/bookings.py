"""Transactional triggers around a booking: confirmation, change notice, 24 h reminder, follow-up.

A reminder follows its booking: its key holds the visit's start, so a new date or
time makes a new reminder, and the old one is cancelled (``booking_changed``).
What the messages say (day word, date, time) is read from the booking when they
are rendered (booking_context), so a message decided earlier never states an old time.
"""

import datetime

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from .. import calendar as cal
from ..booking_context import schedule_of, services_of, start_key, visit_context
from ..gate import MessageRequest
from .base import Defaults, Trigger
from .visits import visits

# Handed to the provider (or possibly): the client has read what these said.
TOLD = ("sending", "sent", "unknown", "delivered")


class BookingConfirmation(Trigger):
    """At once on reservation save (signals), with a sweep for bookings saved without signals.

    window_days: how far back the sweep looks for unconfirmed bookings.
    """

    name = "booking_confirmation"
    help = _(
        "Se envía al guardar la reserva; si después cambia la fecha u hora, sale un aviso «tu reserva cambió». "
        "Ventana (días): hasta cuántos días atrás el barrido confirma reservas que se guardaron sin aviso."
    )
    label = _("Confirmación de reserva")
    defaults = Defaults(window_days=2)
    tunes = ("window_days", "channel")  # sent at once: no send hour

    def due(self, now, config, venta_ids=None):
        today = cal.localdate(now)
        # The sweep reads only bookings made inside its window; the signal path names its bookings.
        booked_since = None if venta_ids is not None else now - datetime.timedelta(days=config.window_days)
        first = [
            visit
            for visit in first_visits(today, today + datetime.timedelta(days=400), venta_ids, booked_since)
            if visit.starts_at > now
            and (venta_ids is not None or visit.booked_at >= now - datetime.timedelta(days=config.window_days))
        ]
        schedules = {}
        if first:
            schedules = {v: schedule_of(s) for v, s in services_of([x.venta_id for x in first]).items()}
        for visit in first:
            yield MessageRequest(
                cliente_id=visit.cliente_id,
                kind=self.name,
                idempotency_key=f"booking_confirmation:{visit.venta_id}",
                reserva_id=visit.venta_id,
                context={**visit.context(), "schedule": schedules.get(visit.venta_id, "")},
                channel=config.channel or None,
            )


def first_visits(first_day, last_day, venta_ids=None, booked_since=None):
    """The earliest visit of each booking in the range: what a confirmation talks about."""
    earliest = {}
    for visit in visits(first_day=first_day, last_day=last_day, venta_ids=venta_ids, booked_since=booked_since):
        if visit.venta_id not in earliest or visit.starts_at < earliest[visit.venta_id].starts_at:
            earliest[visit.venta_id] = visit
    return earliest.values()


class AppointmentReminder(Trigger):
    """An SMS delay_hours (24) before each visit's local start; it expires at the appointment.

    A booking made inside that window gets no reminder: its confirmation just told them.
    Nor does a booking moved inside it: its change notice just told them.
    """

    name = "appointment_reminder"
    help = _(
        "Desfase (horas): cuánto antes del inicio de la visita sale el SMS (24). Expira a la hora de la cita. "
        "Una reserva hecha dentro de ese plazo no recibe recordatorio: ya recibió su confirmación. Si la "
        "reserva cambia de fecha u hora, el recordatorio anterior se cancela y sale uno para la nueva hora."
    )
    label = _("Recordatorio de cita")
    defaults = Defaults(delay_hours=24)
    tunes = ("delay_hours",)

    def prepare(self, now, config, *, dry_run):
        from ..models import Message

        pending = Message.objects.filter(kind=self.name, status__in=("scheduled", "queued"))
        cancel_moved_reminders(pending, now)

    def due(self, now, config):
        from ..models import Message

        lead = datetime.timedelta(hours=config.delay_hours)
        today = cal.localdate(now)
        horizon = today + datetime.timedelta(days=config.delay_hours // 24 + 2)
        candidates = []
        for visit in visits(first_day=today, last_day=horizon):
            remind_at = visit.starts_at - lead
            if visit.starts_at <= now or visit.booked_at > remind_at or remind_at > now + datetime.timedelta(hours=2):
                continue
            candidates.append((visit, remind_at))
        if not candidates:
            return
        ventas = {v.venta_id for v, _ in candidates}
        # When the booking was last told its time (confirmation or change notice).
        told = dict(
            Message.objects.filter(
                reserva_id__in=ventas,
                kind__in=("booking_confirmation", "booking_changed"),
                status__in=("scheduled", "queued", *TOLD),
            )
            .values("reserva_id")
            .annotate(last=Max("created_at"))
            .values_list("reserva_id", "last")
        )
        # Reminders keyed per day (before keys held the start time) still stand for their visit.
        day_keys = set(
            Message.objects.filter(
                idempotency_key__any=[f"{self.name}:{v.venta_id}:{v.day.isoformat()}" for v, _ in candidates]
            ).values_list("idempotency_key", flat=True)
        )
        for visit, remind_at in candidates:
            if f"{self.name}:{visit.venta_id}:{visit.day.isoformat()}" in day_keys:
                continue
            if told.get(visit.venta_id) and told[visit.venta_id] >= remind_at:
                continue
            starts = start_key(visit.starts_at)
            yield MessageRequest(
                cliente_id=visit.cliente_id,
                kind=self.name,
                idempotency_key=f"{self.name}:{visit.venta_id}:{starts}",
                reserva_id=visit.venta_id,
                at=remind_at,
                expires_at=visit.starts_at,
                context={**visit.context(), "starts_at": starts},
            )


def cancel_moved_reminders(pending, now) -> int:
    """Cancel pending reminders whose visit no longer starts when they say (moved, deleted, cancelled)."""
    from .. import actions
    from ..models import Message, Reason

    rows = list(pending.values_list("pk", "reserva_id", "context"))
    if not rows:
        return 0
    current = services_of({venta for _pk, venta, _ctx in rows if venta})
    starts = {venta: {start_key(s.starts_at) for s in services} for venta, services in current.items()}
    gone = [
        pk
        for pk, venta, context in rows
        if "starts_at" in context and context["starts_at"] not in starts.get(venta, ())
    ]
    if not gone:
        return 0
    return actions.cancel_messages(Message.objects.filter(pk__in=gone), Reason.BOOKING_CHANGED, now=now)


class SatisfactionFollowup(Trigger):
    """One email per booking, delay_hours (24) after the end of its last service (a cabin night: checkout)."""

    name = "satisfaction_followup"
    help = _(
        "Una encuesta por reserva. Desfase (horas): cuánto después del fin del último servicio sale el email "
        "(24); una noche de cabaña termina a la hora de salida. Ventana (días): cuántos días atrás se revisan "
        "reservas."
    )
    label = _("Encuesta de satisfacción")
    defaults = Defaults(delay_hours=24, window_days=3)
    tunes = ("delay_hours", "window_days")

    def due(self, now, config):
        from ..models import Message

        today = cal.localdate(now)
        oldest = now - datetime.timedelta(days=config.window_days)
        recent = {
            v.venta_id: v
            for v in visits(first_day=today - datetime.timedelta(days=config.window_days + 2), last_day=today)
        }
        if not recent:
            return
        asked = set(Message.objects.filter(kind=self.name, reserva_id__in=recent).values_list("reserva_id", flat=True))
        services = services_of([v for v in recent if v not in asked])
        for venta_id, items in services.items():
            ends_at = max(s.ends_at for s in items)
            if not (oldest <= ends_at <= now):
                continue
            visit = recent[venta_id]
            yield MessageRequest(
                cliente_id=visit.cliente_id,
                kind=self.name,
                idempotency_key=f"satisfaction_followup:{venta_id}",
                reserva_id=venta_id,
                at=ends_at + datetime.timedelta(hours=config.delay_hours),
                context=visit_context(items[0].starts_at, items[0].nombre, now),
            )


def booking_saved(venta_id: int, now=None) -> None:
    """A booking was created or changed: confirm it (once), tell a change of date or time, move its
    reminder, and withdraw pending return offers."""
    from django.utils import timezone

    from ventas.models import VentaReserva

    from .. import actions
    from ..gate import request_messages
    from ..models import Message, Reason

    now = now or timezone.now()
    trigger = BookingConfirmation()
    config = trigger.config()
    if config.enabled:
        request_messages(list(trigger.due(now, config, venta_ids=[venta_id])), now=now)
        notify_change(venta_id, now, config)
    cancel_moved_reminders(Message.objects.filter(reserva_id=venta_id, kind="appointment_reminder"), now)
    cliente_id = VentaReserva.objects.filter(pk=venta_id).values_list("cliente_id", flat=True).first()
    # Every pending step of a reactivation sequence, email and SMS: the client came back.
    offers = Message.objects.filter(cliente_id=cliente_id, kind__in=("reactivation_email", "reactivation_sms"))
    actions.cancel_messages(offers, Reason.RESPONDED, detail="reserva", now=now)


def notify_change(venta_id: int, now, config) -> None:
    """One transactional "tu reserva cambió" per change of the booking's dates or times.

    Compared with the schedule of the last confirmation or notice: if that one has
    not gone yet it will render the new time itself (booking_context), so it only
    takes note of the new schedule; if it went, the client is told once, with a key
    per change (``booking_changed:<booking>:<n>``) so repeated saves send one notice.
    """
    from .. import actions
    from ..gate import request_messages
    from ..models import PENDING_STATUSES, Message

    told = list(
        Message.objects.filter(reserva_id=venta_id, kind__in=("booking_confirmation", "booking_changed"))
        .order_by("created_at", "pk")
        .values_list("pk", "kind", "status", "context", "cliente_id")
    )
    if not told:
        return
    services = services_of([venta_id]).get(venta_id)
    if not services:
        return
    pk, _kind, status, context, cliente_id = told[-1]
    schedule = schedule_of(services)
    if context.get("schedule", schedule) == schedule:
        return
    if status in PENDING_STATUSES:
        actions.note_context(pk, schedule=schedule)
        return
    upcoming = next((s for s in services if s.starts_at > now), None)
    if status not in TOLD or upcoming is None:
        return
    changes = sum(1 for _pk, kind, *_rest in told if kind == "booking_changed")
    request_messages(
        [
            MessageRequest(
                cliente_id=cliente_id,
                kind="booking_changed",
                idempotency_key=f"booking_changed:{venta_id}:{changes + 1}",
                reserva_id=venta_id,
                context={**visit_context(upcoming.starts_at, upcoming.nombre, now), "schedule": schedule},
                channel=config.channel or None,
            )
        ],
        now=now,
    )


def booking_cancelled(venta_id: int, now=None, *, detail: str = "") -> None:
    """Nothing more is said about a cancelled booking: pending confirmation, reminder and follow-up stop.

    A new client whose only booking this was gets no more welcome emails either.
    """
    from ventas.models import VentaReserva

    from .. import actions
    from ..models import Message, Reason

    actions.cancel_messages(
        Message.objects.filter(reserva_id=venta_id), Reason.BOOKING_CANCELLED, detail=detail, now=now
    )
    cliente_id = VentaReserva.objects.filter(pk=venta_id).values_list("cliente_id", flat=True).first()
    if cliente_id is None:
        return
    others = (
        VentaReserva.objects.filter(cliente_id=cliente_id)
        .exclude(pk=venta_id)
        .exclude(estado_pago=VentaReserva.EstadoPago.CANCELADO)
    )
    if not others.exists():
        welcome = Message.objects.filter(cliente_id=cliente_id, kind__startswith="welcome_")
        actions.cancel_messages(welcome, Reason.BOOKING_CANCELLED, detail=detail, now=now)
