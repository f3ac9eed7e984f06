"""Reactivation: an email after window_days (90) without a paid visit; an SMS only if it got no response.

A response is a click, a reply or a booking made after the email was *decided*
(its ``created_at``: a client who books while the email waits for a free slot has
answered already); an open is not (scanners open mail). The SMS waits delay_hours
(168 = 7 days) after the email and is cancelled if the client responds or books
before it goes. A client without a usable email gets the SMS step directly.
At most one sequence per 90 days (a rolling cap, kinds.py), whatever the quarter.
"""

import datetime

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from ventas.models import Cliente, VentaReserva
from ventas.segments import PAID_STATES

from .. import actions
from .. import calendar as cal
from ..gate import MessageRequest
from ..kinds import KINDS
from ..models import PENDING_STATUSES, Message, Reason, Status
from .base import Defaults, Trigger, send_time

KINDS_OF_SEQUENCE = ("reactivation_email", "reactivation_sms")
# The email could not be delivered to this client at all: go straight to the SMS step.
UNUSABLE_EMAIL = (Reason.NO_EMAIL, Reason.INVALID_EMAIL, Reason.EMAIL_UNDELIVERABLE)


def responded_since(message_ref="created_at"):
    """A booking made after the message was decided, for the client of the outer Message row."""
    return Exists(
        VentaReserva.objects.filter(
            cliente_id=OuterRef("cliente_id"), fecha_creacion__gt=OuterRef(message_ref)
        ).exclude(estado_pago=VentaReserva.EstadoPago.CANCELADO)
    )


def sequence_days() -> int:
    return KINDS["reactivation_email"].cap.days


class ReactivationEmail(Trigger):
    name = "reactivation_email"
    help = _(
        "Ventana (días): días sin una visita pagada para considerar inactivo a un cliente (90). Como máximo "
        "una secuencia (email y SMS) cada 90 días. También define la lista de llamadas a VIP inactivos. "
        "Reactivación anticipada (desactivada por defecto): también alcanza desde los 45 días a clientes "
        "con riesgo de abandono alto y valor (CLP pagados en 365 días) en el cuartil superior."
    )
    label = _("Reactivación por email")
    defaults = Defaults(window_days=90)
    tunes = ("window_days", "send_hour", "segments", "early_high_risk")

    def prepare(self, now, config, *, dry_run):
        # An email still waiting for its slot is withdrawn once the client books.
        waiting = Message.objects.filter(kind=self.name, status__in=PENDING_STATUSES).filter(responded_since())
        actions.cancel_messages(waiting, Reason.RESPONDED, detail="reserva", now=now)

    def due(self, now, config):
        today = cal.localdate(now)
        cutoff = now - datetime.timedelta(days=config.window_days)
        upcoming = VentaReserva.objects.filter(cliente_id=OuterRef("pk"), fecha_reserva__gt=now).exclude(
            estado_pago=VentaReserva.EstadoPago.CANCELADO
        )
        # Any attempt in the last 90 days (sent, waiting or blocked) closes the sequence for now:
        # keys are per day, so this keeps one row per client per 90 days, not one a day.
        recent = Message.objects.filter(
            cliente_id=OuterRef("pk"),
            kind=self.name,
            counts_on__gt=today - datetime.timedelta(days=sequence_days()),
        )
        inactive = Q(last_paid_visit__lte=cutoff)
        early = None
        if config.early_high_risk:
            from ..insights.early import early_condition

            early = early_condition(now)
        paid = VentaReserva.objects.filter(cliente_id=OuterRef("pk"), estado_pago__in=PAID_STATES)
        rows = Cliente.objects.filter(Exists(paid))
        if early is None:
            # Implied by the aggregate conditions below, but in WHERE: the aggregate then reads only
            # clients with a paid visit and none after the cutoff, not the whole base every hour.
            rows = rows.exclude(Exists(paid.filter(fecha_reserva__gt=cutoff)))
        else:
            inactive |= early  # early clients did visit after the cutoff: no such narrowing
        rows = rows.with_segments().filter(inactive, paid_visits__gte=1)
        if config.segments:
            rows = rows.filter(segment__in=config.segments)
        rows = rows.annotate(upcoming=Exists(upcoming), recent=Exists(recent)).filter(upcoming=False, recent=False)
        for cliente_id in rows.values_list("pk", flat=True).iterator(chunk_size=2000):
            yield MessageRequest(
                cliente_id=cliente_id,
                kind=self.name,
                idempotency_key=f"reactivation_email:{cliente_id}:{today.isoformat()}",
                at=send_time(today, config),
            )


class ReactivationSms(Trigger):
    name = "reactivation_sms"
    help = _(
        "Desfase (horas): cuánto se espera una respuesta al email antes del SMS (168 = 7 días). Ventana "
        "(días): hasta cuántos días después del email aún se envía. Se cancela si el cliente hace clic, "
        "responde o reserva. Sin un email utilizable, el SMS sale directamente."
    )
    label = _("Reactivación por SMS (sin respuesta al email)")
    defaults = Defaults(delay_hours=7 * 24, window_days=30)
    tunes = ("delay_hours", "window_days", "send_hour")

    def prepare(self, now, config, *, dry_run):
        # Pending return offers to clients who have since responded or booked are withdrawn.
        offers = Message.objects.filter(kind=self.name, status__in=PENDING_STATUSES)
        emails = Message.objects.filter(
            kind=ReactivationEmail.name, cliente_id=OuterRef("cliente_id"), sent_at__isnull=False
        ).filter(Q(clicked_at__isnull=False) | Q(replied_at__isnull=False) | Q(converted_at__isnull=False))
        answered = offers.filter(Exists(emails) | responded_since())
        actions.cancel_messages(answered, Reason.RESPONDED, now=now)

    def due(self, now, config):
        wait = datetime.timedelta(hours=config.delay_hours)
        window = datetime.timedelta(days=config.window_days)
        silent_after_email = Q(
            status__in=(Status.SENT, Status.DELIVERED),
            sent_at__lte=now - wait,
            sent_at__gte=now - wait - window,
            clicked_at__isnull=True,
            replied_at__isnull=True,
            converted_at__isnull=True,
        )
        no_usable_email = Q(status=Status.BLOCKED, reason__in=UNUSABLE_EMAIL, created_at__gte=now - window)
        # An email whose SMS step was already decided is left out in SQL (its key is known).
        key = Concat(
            Value(f"{self.name}:"),
            Cast(OuterRef("cliente_id"), CharField()),
            Value(":"),
            Cast(OuterRef("pk"), CharField()),
        )
        emails = (
            Message.objects.filter(kind=ReactivationEmail.name)
            .filter(silent_after_email | no_usable_email)
            .exclude(Exists(Message.objects.filter(idempotency_key=key)))
            .annotate(booked=responded_since())
            .filter(booked=False)
            .values_list("pk", "cliente_id")
        )
        for email_id, cliente_id in emails.iterator(chunk_size=2000):
            yield MessageRequest(
                cliente_id=cliente_id,
                kind=self.name,
                idempotency_key=f"reactivation_sms:{cliente_id}:{email_id}",
                at=max(now, send_time(cal.localdate(now), config)),
            )


def still_due(messages, now) -> dict[int, tuple[str, str]]:
    """Scheduled reactivation messages whose client is no longer inactive: pk -> (reason, detail).

    Used when the outbox promotes them (gate.promote_due): a booking made after the
    message was decided, or any upcoming booking, means the client came back.
    """
    client_ids = {m.cliente_id for m in messages}
    bookings = (
        VentaReserva.objects.filter(cliente_id__in=client_ids)
        .exclude(estado_pago=VentaReserva.EstadoPago.CANCELADO)
        .filter(Q(fecha_reserva__gt=now) | Q(fecha_creacion__gt=min(m.created_at for m in messages)))
        .values_list("cliente_id", "fecha_creacion", "fecha_reserva")
    )
    latest_booking, upcoming = {}, set()
    for cliente_id, created, visit in bookings:
        latest_booking[cliente_id] = max(created, latest_booking.get(cliente_id, created))
        if visit > now:
            upcoming.add(cliente_id)
    return {
        m.pk: (Reason.RESPONDED, "reserva")
        for m in messages
        if m.cliente_id in upcoming or latest_booking.get(m.cliente_id, m.created_at) > m.created_at
    }
