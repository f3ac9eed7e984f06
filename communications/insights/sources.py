"""The project's own history as the plain rows the insight models read.

Loading only: each function yields the same row shapes as the CSV readers in
``logs``, in local (America/Santiago) naive time, streamed in chunks.
"""

from django.db.models import Q
from django.utils import timezone

from ventas.models import CampaignInteraction, ReservaServicio, VentaReserva
from ventas.segments import PAID_STATES

from ..calendar import local_tz
from ..models import Message

CHUNK = 2000


def _local(moment):
    return timezone.localtime(moment, local_tz()).replace(tzinfo=None)


def purchases():
    """(customer, local date, CLP paid) for every paid or partly paid booking."""
    rows = VentaReserva.objects.filter(estado_pago__in=PAID_STATES, pagado__gt=0).values_list(
        "cliente_id", "fecha_reserva", "pagado"
    )
    for cliente_id, when, paid in rows.iterator(chunk_size=CHUNK):
        yield str(cliente_id), _local(when).date(), float(paid)


def items():
    """(customer, service id, local booking time, booking id) for every service of a non-cancelled booking."""
    rows = (
        ReservaServicio.objects.exclude(venta_reserva__estado_pago=VentaReserva.EstadoPago.CANCELADO)
        .values_list("venta_reserva__cliente_id", "servicio_id", "venta_reserva__fecha_reserva", "venta_reserva_id")
        .order_by()
    )
    for cliente_id, servicio_id, when, booking in rows.iterator(chunk_size=CHUNK):
        yield str(cliente_id), str(servicio_id), _local(when), str(booking)


def engagement_events():
    """(customer, local time): human email opens and clicks, SMS replies, and when bookings were made."""
    opens = Message.objects.filter(opened_at__isnull=False, machine_open=False).values_list("cliente_id", "opened_at")
    clicks = Message.objects.filter(clicked_at__isnull=False).values_list("cliente_id", "clicked_at")
    replies = CampaignInteraction.objects.filter(Q(interaction_type=CampaignInteraction.Type.SMS_REPLIED)).values_list(
        "cliente_id", "timestamp"
    )
    bookings = VentaReserva.objects.values_list("cliente_id", "fecha_creacion")
    for query in (opens, clicks, replies, bookings):
        for cliente_id, when in query.order_by().iterator(chunk_size=CHUNK):
            yield str(cliente_id), _local(when)
