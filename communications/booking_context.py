"""A booking as it is *now*, for the messages that talk about it.

A reminder or confirmation decided hours earlier must not repeat a date or time
that staff have since changed, nor say "mañana" when it goes out the same day.
So the day words, date, time and service are read from the booking at render
time (rendering.render_message) and override what the trigger stored.
"""

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ventas.models import ReservaServicio, VentaReserva

from . import calendar as cal

BOOKING_KINDS = ("booking_confirmation", "booking_changed", "appointment_reminder", "satisfaction_followup")


@dataclass(frozen=True)
class Service:
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    nombre: str


def service_end(start: datetime.datetime, minutes: int) -> datetime.datetime:
    """When a service ends; a night (1,440 minutes or more) ends at checkout, not 24 h after check-in."""
    if minutes >= 24 * 60:
        nights = math.ceil(minutes / (24 * 60))
        return cal.at_local(cal.localdate(start) + datetime.timedelta(days=nights), settings.CABIN_CHECKOUT_TIME)
    return start + datetime.timedelta(minutes=minutes)


def services_of(venta_ids) -> dict[int, list[Service]]:
    """Services of these non-cancelled bookings, in time order, in one query."""
    rows = (
        ReservaServicio.objects.filter(venta_reserva_id__in=venta_ids)
        .exclude(venta_reserva__estado_pago=VentaReserva.EstadoPago.CANCELADO)
        .order_by("fecha_agendamiento", "hora_inicio", "pk")
        .values_list("venta_reserva_id", "fecha_agendamiento", "hora_inicio", "servicio__nombre", "servicio__duracion")
    )
    services: dict[int, list[Service]] = {}
    for venta_id, day, hora, nombre, duracion in rows:
        start = cal.at_local(day, hora)
        services.setdefault(venta_id, []).append(Service(start, service_end(start, duracion), nombre))
    return services


def start_key(moment: datetime.datetime) -> str:
    """A visit's local start as text: part of reminder keys and of a booking's schedule."""
    return timezone.localtime(moment, cal.local_tz()).strftime("%Y-%m-%dT%H:%M")


def schedule_of(services: list[Service]) -> str:
    """What the client was told: every service's local start. A change of date or time changes it."""
    return ",".join(sorted(start_key(s.starts_at) for s in services))


def day_word(day: datetime.date, today: datetime.date) -> str:
    if day == today:
        return _("hoy")
    if day == today + datetime.timedelta(days=1):
        return _("mañana")
    return _("el")


def visit_context(starts_at: datetime.datetime, servicio: str, now: datetime.datetime) -> dict:
    day = cal.localdate(starts_at)
    return {
        "dia": day_word(day, cal.localdate(now)),
        "fecha": date_format(day, "l j \\d\\e F"),
        "hora": timezone.localtime(starts_at, cal.local_tz()).strftime("%H:%M"),
        "servicio": servicio,
    }


def booking_context(message, now=None, services: dict | None = None) -> dict:
    """Day word, date, time and service of the visit a booking message is about, as the booking is now.

    ``services``: bookings' services already read for a batch (``services_of``); a booking
    not in it is read here.
    """
    if message.kind not in BOOKING_KINDS:
        return {}
    # Without its booking (sent by hand, or the booking is gone) the stored date stands, after "el".
    fallback = {"dia": message.context.get("dia", _("el"))}
    if not message.reserva_id:
        return fallback
    now = now or timezone.now()
    if services is None or message.reserva_id not in services:
        services = services_of([message.reserva_id])
    visits = services.get(message.reserva_id)
    if not visits:
        return fallback
    if message.kind == "appointment_reminder":
        wanted = message.context.get("starts_at")
        same = [s for s in visits if start_key(s.starts_at) == wanted]
        visit = same[0] if same else next((s for s in visits if s.starts_at >= now), visits[0])
    elif message.kind == "satisfaction_followup":
        visit = visits[0]
    else:
        visit = next((s for s in visits if s.starts_at >= now), visits[0])
    return visit_context(visit.starts_at, visit.nombre, now)
