"""Marketing triggers over the client base: welcome series, birthday, VIP newsletter, loyalty.

Each query reads the whole audience at once (segment annotations, no per-client
queries); the runner drops keys already used, so hourly runs are cheap.
"""

import datetime

from django.db.models import CharField, Exists, Min, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from ventas.models import Cliente, VentaReserva
from ventas.segments import SEGMENTS, ZERO_SPEND

from .. import calendar as cal
from ..gate import MessageRequest
from ..models import Message
from .base import Defaults, Trigger, quarter_label, send_time

VIP_SEGMENTS = tuple(s for s in SEGMENTS if s.startswith("vip_"))


class Welcome(Trigger):
    """welcome_1 / welcome_7 / welcome_30: days after the client's first booking.

    window_days: a step missed by up to this many days (downtime) is still sent; older ones are not.
    """

    name = "welcome"
    help = _(
        "Emails los días 1, 7 y 30 después de la primera reserva, a la hora de envío. Ventana (días): un paso "
        "atrasado hasta tantos días (por una caída del sistema) aún se envía."
    )
    label = _("Serie de bienvenida")
    defaults = Defaults(window_days=2)
    tunes = ("window_days", "send_hour")
    daily = True
    steps = (1, 7, 30)

    def due(self, now, config):
        today = cal.localdate(now)
        oldest = today - datetime.timedelta(days=max(self.steps) + config.window_days)
        since = cal.at_local(oldest, datetime.time.min)
        # Only clients with a booking made since then can have their first one since then: a cheap
        # WHERE before the per-client aggregate, so an hourly sweep does not aggregate the whole base.
        recent = VentaReserva.objects.filter(cliente_id=OuterRef("pk"), fecha_creacion__gte=since).exclude(
            estado_pago=VentaReserva.EstadoPago.CANCELADO
        )
        first_bookings = (
            Cliente.objects.filter(Exists(recent))
            .annotate(
                first_booking=Min(
                    "ventareserva__fecha_creacion",
                    filter=~Q(ventareserva__estado_pago=VentaReserva.EstadoPago.CANCELADO),
                )
            )
            .filter(first_booking__gte=since)
            .values_list("pk", "first_booking")
        )
        for cliente_id, first_booking in first_bookings.iterator(chunk_size=2000):
            start = cal.localdate(first_booking)
            for step in self.steps:
                day = start + datetime.timedelta(days=step)
                if not (today - datetime.timedelta(days=config.window_days) <= day <= today):
                    continue
                yield MessageRequest(
                    cliente_id=cliente_id,
                    kind=f"welcome_{step}",
                    idempotency_key=f"welcome_{step}:{cliente_id}",
                    at=send_time(day, config),
                )


class Birthday(Trigger):
    """A birthday SMS on the local birthday, once a year; 29 February celebrates on the 28th in common years.

    Expires at the end of the day: a late birthday SMS is worse than none.
    """

    name = "birthday"
    help = _(
        "SMS el día del cumpleaños (29 de febrero: el 28 en años no bisiestos), a la hora de envío; los domingos "
        "y feriados, dentro de la ventana diurna (10:00 a 13:00 por defecto); expira a medianoche. Segmentos: "
        "a quiénes (por defecto todos menos «Sin gasto»). Los VIP reciben la variante «vip»."
    )
    label = _("Cumpleaños")
    defaults = Defaults(segments=tuple(s for s in SEGMENTS if s != ZERO_SPEND))
    tunes = ("send_hour", "segments", "template_variant")
    daily = True

    def due(self, now, config):
        today = cal.localdate(now)
        match = Q(fecha_nacimiento__month=today.month, fecha_nacimiento__day=today.day)
        if (today.month, today.day) == (2, 28) and not _is_leap(today.year):
            match |= Q(fecha_nacimiento__month=2, fecha_nacimiento__day=29)
        end_of_day = cal.at_local(today + datetime.timedelta(days=1), datetime.time.min)
        rows = Cliente.objects.filter(match).with_segments().filter(segment__in=config.segments)
        for cliente_id, segment in rows.values_list("pk", "segment").iterator(chunk_size=2000):
            variant = config.template_variant or ("vip" if segment in VIP_SEGMENTS else "")
            yield MessageRequest(
                cliente_id=cliente_id,
                kind=self.name,
                idempotency_key=f"birthday:{cliente_id}:{today.year}",
                at=birthday_time(today, config),
                expires_at=end_of_day,
                segments=config.segments,
                context={"variant": variant} if variant else {},
            )


def birthday_time(day: datetime.date, config) -> datetime.datetime:
    """The send hour; on Sundays and holidays, inside the daytime window (operations.md).

    max(send_hour, window start) if that is before the window's end, else the window start.
    """
    if cal.is_open_day(day):
        return send_time(day, config)
    start, end = cal.closed_day_window()
    hour = max(datetime.time(config.send_hour), start)
    return cal.at_local(day, hour if hour < end else start)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class SegmentPeriodic(Trigger):
    """One message per client of some segments per calendar period (month or quarter)."""

    kind = ""
    period = "month"
    tunes = ("window_days", "send_hour", "segments")
    daily = True

    def period_label(self, day: datetime.date) -> str:
        return day.strftime("%Y-%m") if self.period == "month" else quarter_label(day)

    def due(self, now, config):
        today = cal.localdate(now)
        first_day = cal.window(self.period, today)[0] + datetime.timedelta(days=config.window_days)
        if today < first_day:
            return
        label = self.period_label(today)
        # Clients already decided this period (sent, waiting or blocked) are left out in SQL, before
        # the segment aggregate: after the period's first sweep, the hourly ones read almost nothing.
        key = Concat(Value(f"{self.kind}:"), Cast(OuterRef("pk"), CharField()), Value(f":{label}"))
        decided = Message.objects.filter(idempotency_key=key)
        rows = Cliente.objects.exclude(Exists(decided)).in_segments(*config.segments).values_list("pk", flat=True)
        for cliente_id in rows.iterator(chunk_size=2000):
            yield MessageRequest(
                cliente_id=cliente_id,
                kind=self.kind,
                idempotency_key=f"{self.kind}:{cliente_id}:{label}",
                at=send_time(today, config),
                segments=config.segments,
            )


class VipNewsletter(SegmentPeriodic):
    """Monthly newsletter to high spenders. window_days: day of the month it starts (0 = the 1st)."""

    name = kind = "vip_newsletter"
    help = _(
        "Un email al mes a los segmentos elegidos. Ventana (días): días después del 1° del mes en que empieza el envío."
    )
    label = _("Newsletter VIP mensual")
    defaults = Defaults(segments=("vip_high_spend", "regular_high_spend"))


class LoyaltyRewards(SegmentPeriodic):
    """Quarterly rewards email to VIPs."""

    name = kind = "loyalty_rewards"
    help = _(
        "Un email por trimestre a los segmentos elegidos (por defecto, los VIP). Ventana (días): días después "
        "del inicio del trimestre."
    )
    label = _("Recompensas de fidelidad trimestrales")
    period = "quarter"
    defaults = Defaults(segments=VIP_SEGMENTS)
