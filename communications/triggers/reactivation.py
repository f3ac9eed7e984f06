"""Reactivation: an email after window_days (90) without a paid visit; an SMS only if it got no response.

A response is a click, a reply or a booking; an open is not (scanners open mail).
The SMS waits delay_hours (168 = 7 days) after the email and is cancelled if the
client responds or books before it goes.
"""

import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from ventas.models import Cliente, VentaReserva

from .. import actions
from .. import calendar as cal
from ..gate import MessageRequest
from ..models import Message, Reason, Status
from .base import Defaults, Trigger, quarter_label, send_time


def responded_since(message_ref="sent_at"):
    """A booking made after the message went out, for the client of the outer Message row."""
    return Exists(
        VentaReserva.objects.filter(
            cliente_id=OuterRef("cliente_id"), fecha_creacion__gt=OuterRef(message_ref)
        ).exclude(estado_pago=VentaReserva.EstadoPago.CANCELADO)
    )


class ReactivationEmail(Trigger):
    name = "reactivation_email"
    help = _(
        "Ventana (días): días sin una visita pagada para considerar inactivo a un cliente (90). Un email por "
        "trimestre. También define la lista de llamadas a VIP inactivos."
    )
    label = _("Reactivación por email")
    defaults = Defaults(window_days=90)
    tunes = ("window_days", "send_hour", "segments")

    def due(self, now, config):
        today = cal.localdate(now)
        cutoff = now - datetime.timedelta(days=config.window_days)
        upcoming = VentaReserva.objects.filter(cliente_id=OuterRef("pk"), fecha_reserva__gt=now).exclude(
            estado_pago=VentaReserva.EstadoPago.CANCELADO
        )
        rows = Cliente.objects.with_segments().filter(paid_visits__gte=1, last_paid_visit__lte=cutoff)
        if config.segments:
            rows = rows.filter(segment__in=config.segments)
        rows = rows.annotate(upcoming=Exists(upcoming)).filter(upcoming=False)
        for cliente_id in rows.values_list("pk", flat=True).iterator(chunk_size=2000):
            yield MessageRequest(
                cliente_id=cliente_id,
                kind=self.name,
                idempotency_key=f"reactivation_email:{cliente_id}:{quarter_label(today)}",
                at=send_time(today, config),
            )


class ReactivationSms(Trigger):
    name = "reactivation_sms"
    help = _(
        "Desfase (horas): cuánto se espera una respuesta al email antes del SMS (168 = 7 días). Ventana "
        "(días): hasta cuántos días después del email aún se envía. Se cancela si el cliente hace clic, "
        "responde o reserva."
    )
    label = _("Reactivación por SMS (sin respuesta al email)")
    defaults = Defaults(delay_hours=7 * 24, window_days=30)
    tunes = ("delay_hours", "window_days", "send_hour")

    def prepare(self, now, config, *, dry_run):
        # Pending return offers to clients who have since responded or booked are withdrawn.
        offers = Message.objects.filter(kind=self.name)
        emails = Message.objects.filter(
            kind=ReactivationEmail.name, cliente_id=OuterRef("cliente_id"), sent_at__isnull=False
        ).filter(Q(clicked_at__isnull=False) | Q(replied_at__isnull=False) | Q(converted_at__isnull=False))
        answered = offers.filter(Exists(emails) | responded_since("created_at"))
        actions.cancel_messages(answered, Reason.RESPONDED, now=now)

    def due(self, now, config):
        wait = datetime.timedelta(hours=config.delay_hours)
        silent = (
            Message.objects.filter(
                kind=ReactivationEmail.name,
                status__in=(Status.SENT, Status.DELIVERED),
                sent_at__lte=now - wait,
                sent_at__gte=now - wait - datetime.timedelta(days=config.window_days),
                clicked_at__isnull=True,
                replied_at__isnull=True,
                converted_at__isnull=True,
            )
            .annotate(booked=responded_since())
            .filter(booked=False)
            .values_list("cliente_id", "sent_at")
        )
        for cliente_id, sent_at in silent.iterator(chunk_size=2000):
            yield MessageRequest(
                cliente_id=cliente_id,
                kind=self.name,
                idempotency_key=f"reactivation_sms:{cliente_id}:{quarter_label(cal.localdate(sent_at))}",
                at=max(now, send_time(cal.localdate(now), config)),
            )
