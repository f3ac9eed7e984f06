"""Visits: a booking's services on one local day, read in one query.

A booking (VentaReserva) with a tub at 18:00 and a massage at 20:00 on the same
day is one visit: one reminder, one follow-up. Times are Santiago wall-clock.
"""

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format

from ventas.models import ReservaServicio, VentaReserva

from .. import calendar as cal


@dataclass(frozen=True)
class Visit:
    venta_id: int
    cliente_id: int
    day: datetime.date
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    servicio: str
    booked_at: datetime.datetime

    def context(self) -> dict:
        return {
            "fecha": date_format(self.day, "l j \\d\\e F"),
            "hora": self.starts_at.strftime("%H:%M"),
            "servicio": self.servicio,
        }


def visits(*, first_day: datetime.date, last_day: datetime.date, venta_ids=None, booked_since=None) -> list[Visit]:
    """Visits of non-cancelled bookings between two local dates (inclusive); ``booked_since``: made since then."""
    rows = (
        ReservaServicio.objects.filter(fecha_agendamiento__range=(first_day, last_day))
        .exclude(venta_reserva__estado_pago=VentaReserva.EstadoPago.CANCELADO)
        .order_by("venta_reserva_id", "fecha_agendamiento", "hora_inicio")
        .values_list(
            "venta_reserva_id",
            "venta_reserva__cliente_id",
            "venta_reserva__fecha_creacion",
            "fecha_agendamiento",
            "hora_inicio",
            "servicio__nombre",
            "servicio__duracion",
        )
    )
    if venta_ids is not None:
        rows = rows.filter(venta_reserva_id__in=venta_ids)
    if booked_since is not None:
        rows = rows.filter(venta_reserva__fecha_creacion__gte=booked_since)
    grouped: dict[tuple[int, datetime.date], Visit] = {}
    for venta_id, cliente_id, booked_at, day, hora, servicio, duracion in rows:
        start = cal.at_local(day, hora)
        end = start + datetime.timedelta(minutes=min(duracion, 24 * 60))
        key = (venta_id, day)
        if key not in grouped:
            grouped[key] = Visit(venta_id, cliente_id, day, start, end, servicio, booked_at)
        elif end > grouped[key].ends_at:
            v = grouped[key]
            grouped[key] = Visit(v.venta_id, v.cliente_id, v.day, v.starts_at, end, v.servicio, v.booked_at)
    return list(grouped.values())
