"""Transactional triggers around a booking: confirmation, 24 h reminder, 24 h follow-up."""

import datetime

from django.utils.translation import gettext_lazy as _

from .. import calendar as cal
from ..gate import MessageRequest
from .base import Defaults, Trigger
from .visits import visits


class BookingConfirmation(Trigger):
    """At once on reservation save (signals), with a sweep for bookings saved without signals.

    window_days: how far back the sweep looks for unconfirmed bookings.
    """

    name = "booking_confirmation"
    help = _(
        "Se envía al guardar la reserva. Ventana (días): hasta cuántos días atrás el barrido confirma "
        "reservas que se guardaron sin aviso."
    )
    label = _("Confirmación de reserva")
    defaults = Defaults(window_days=2)
    tunes = ("window_days", "channel")  # sent at once: no send hour

    def due(self, now, config, venta_ids=None):
        today = cal.localdate(now)
        for visit in first_visits(today, today + datetime.timedelta(days=400), venta_ids):
            if visit.starts_at <= now:
                continue
            if venta_ids is None and visit.booked_at < now - datetime.timedelta(days=config.window_days):
                continue
            yield MessageRequest(
                cliente_id=visit.cliente_id,
                kind=self.name,
                idempotency_key=f"booking_confirmation:{visit.venta_id}",
                reserva_id=visit.venta_id,
                context=visit.context(),
                channel=config.channel or None,
            )


def first_visits(first_day, last_day, venta_ids=None):
    """The earliest visit of each booking in the range: what a confirmation talks about."""
    earliest = {}
    for visit in visits(first_day=first_day, last_day=last_day, venta_ids=venta_ids):
        if visit.venta_id not in earliest or visit.starts_at < earliest[visit.venta_id].starts_at:
            earliest[visit.venta_id] = visit
    return earliest.values()


class AppointmentReminder(Trigger):
    """An SMS delay_hours (24) before each visit's local start; it expires at the appointment.

    A booking made inside that window gets no reminder: its confirmation just told them.
    """

    name = "appointment_reminder"
    help = _(
        "Desfase (horas): cuánto antes del inicio de la visita sale el SMS (24). Expira a la hora de la cita. "
        "Una reserva hecha dentro de ese plazo no recibe recordatorio: ya recibió su confirmación."
    )
    label = _("Recordatorio de cita")
    defaults = Defaults(delay_hours=24)
    tunes = ("delay_hours",)

    def due(self, now, config):
        lead = datetime.timedelta(hours=config.delay_hours)
        today = cal.localdate(now)
        horizon = today + datetime.timedelta(days=config.delay_hours // 24 + 2)
        for visit in visits(first_day=today, last_day=horizon):
            remind_at = visit.starts_at - lead
            if visit.starts_at <= now or visit.booked_at > remind_at or remind_at > now + datetime.timedelta(hours=2):
                continue
            yield MessageRequest(
                cliente_id=visit.cliente_id,
                kind=self.name,
                idempotency_key=f"appointment_reminder:{visit.venta_id}:{visit.day.isoformat()}",
                reserva_id=visit.venta_id,
                at=remind_at,
                expires_at=visit.starts_at,
                context=visit.context(),
            )


class SatisfactionFollowup(Trigger):
    """An email delay_hours (24) after a visit ends."""

    name = "satisfaction_followup"
    help = _(
        "Desfase (horas): cuánto después del fin de la visita sale el email (24). Ventana (días): cuántos "
        "días atrás se revisan visitas."
    )
    label = _("Encuesta de satisfacción")
    defaults = Defaults(delay_hours=24, window_days=3)
    tunes = ("delay_hours", "window_days")

    def due(self, now, config):
        today = cal.localdate(now)
        for visit in visits(first_day=today - datetime.timedelta(days=config.window_days), last_day=today):
            if visit.ends_at > now:
                continue
            yield MessageRequest(
                cliente_id=visit.cliente_id,
                kind=self.name,
                idempotency_key=f"satisfaction_followup:{visit.venta_id}:{visit.day.isoformat()}",
                reserva_id=visit.venta_id,
                at=visit.ends_at + datetime.timedelta(hours=config.delay_hours),
                context=visit.context(),
            )


def booking_saved(venta_id: int, now=None) -> None:
    """A booking was created or changed: confirm it (once) and withdraw pending return offers."""
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
    cliente_id = VentaReserva.objects.filter(pk=venta_id).values_list("cliente_id", flat=True).first()
    offers = Message.objects.filter(cliente_id=cliente_id, kind="reactivation_sms")
    actions.cancel_messages(offers, Reason.RESPONDED, detail="reserva", now=now)


def booking_cancelled(venta_id: int, now=None) -> None:
    """Nothing more is said about a cancelled booking: pending confirmation, reminder and follow-up stop."""
    from .. import actions
    from ..models import Message, Reason

    actions.cancel_messages(Message.objects.filter(reserva_id=venta_id), Reason.BOOKING_CANCELLED, now=now)
