"""Attribution edges: one second inside and outside each window, across DST; one booking, one message."""

import datetime

import pytest

from communications.models import Message, Status
from communications.stats import attribution as A
from communications.stats.refresh import refresh
from communications.tests.helpers import local, new_client
from ventas.models import VentaReserva

SECOND = datetime.timedelta(seconds=1)
# Chile leaves DST on Saturday 4 April 2026 at 24:00 (clocks go back to 23:00): that local
# day has 25 hours, so 3 or 5 "days" counted on the wall clock would be an hour off.
BEFORE_DST_END = local(2026, 4, 2, 18)


def touch(at, window_days, message_id=1, cliente_id=7):
    return A.Touch(message_id, cliente_id, at, datetime.timedelta(days=window_days))


def booking(created, reserva_id=100, cliente_id=7, paid=40_000):
    return A.Booking(reserva_id, cliente_id, created, paid)


@pytest.mark.parametrize("days", [3, 5], ids=["sms", "email"])
def test_a_booking_one_second_inside_the_window_across_dst_converts(days):
    at = BEFORE_DST_END
    # Elapsed time: 72 or 120 hours, whatever the clocks did (the wall clock shows an hour less).
    edge = at.astimezone(datetime.UTC) + datetime.timedelta(days=days)
    assert edge.astimezone(at.tzinfo).hour == at.hour - 1
    assert A.attribute([booking(edge)], [touch(at, days)]) == {1: booking(edge)}
    assert A.attribute([booking(edge - SECOND)], [touch(at, days)]) == {1: booking(edge - SECOND)}


@pytest.mark.parametrize("days", [3, 5], ids=["sms", "email"])
def test_a_booking_one_second_outside_the_window_across_dst_does_not(days):
    at = BEFORE_DST_END
    edge = at.astimezone(datetime.UTC) + datetime.timedelta(days=days)
    assert A.attribute([booking(edge + SECOND)], [touch(at, days)]) == {}
    # The wall-clock reading of the window (an hour longer here) would wrongly credit this one.
    assert A.attribute([booking(at + datetime.timedelta(days=days))], [touch(at, days)]) == {}


def test_a_booking_at_the_touch_itself_or_before_it_does_not_convert():
    at = local(2026, 11, 20, 10)
    assert A.attribute([booking(at)], [touch(at, 5)]) == {}
    assert A.attribute([booking(at - SECOND)], [touch(at, 5)]) == {}


def test_the_last_touch_before_the_booking_wins():
    first, second = local(2026, 11, 20, 10), local(2026, 11, 21, 10)
    credited = A.attribute([booking(local(2026, 11, 22, 10))], [touch(first, 5, 1), touch(second, 5, 2)])
    assert list(credited) == [2]


def test_one_booking_never_converts_two_messages_and_a_message_keeps_its_first_booking():
    at = local(2026, 11, 20, 10)
    touches = [touch(at, 5, 1), touch(at, 5, 2)]
    bookings = [booking(local(2026, 11, 21, 10), 100), booking(local(2026, 11, 22, 10), 101)]
    credited = A.attribute(bookings, touches)
    assert len(credited) == 1  # equal touch times: the higher id wins once; the second booking has no free touch
    assert next(iter(credited.values())).reserva_id == 100


def test_another_clients_booking_converts_nothing():
    assert A.attribute([booking(local(2026, 11, 21, 10), cliente_id=8)], [touch(local(2026, 11, 20, 10), 5)]) == {}


def test_touch_is_sms_delivery_email_click_else_human_open():
    t1, t2 = local(2026, 11, 20, 10), local(2026, 11, 20, 11)
    assert A.touch_time("sms", t1, None, None, False) == t1
    assert A.touch_time("sms", None, None, None, False) is None
    assert A.touch_time("email", None, t2, t1, False) == t2
    assert A.touch_time("email", None, None, t1, False) == t1
    assert A.touch_time("email", None, None, t1, True) is None  # a scanner's open is no touch


def _message(cliente, channel, *, delivered=None, clicked=None, opened=None, category="marketing"):
    created = (delivered or clicked or opened) - datetime.timedelta(minutes=1)
    return Message.objects.create(
        cliente=cliente,
        channel=channel,
        kind="reactivation_sms" if channel == "sms" else "reactivation_email",
        category=category,
        idempotency_key=f"attr:{cliente.pk}:{channel}:{created.isoformat()}",
        status=Status.DELIVERED if channel == "sms" else Status.SENT,
        first_status=Status.QUEUED,
        scheduled_for=created,
        counts_on=created.astimezone(local(2026, 1, 1).tzinfo).date(),
        created_at=created,
        sent_at=created,
        delivered_at=delivered,
        clicked_at=clicked,
        opened_at=opened,
    )


@pytest.mark.django_db
def test_the_refresh_stamps_the_message_and_counts_the_conversion_in_its_bucket():
    cliente = new_client()
    delivered = local(2026, 4, 2, 18)
    message = _message(cliente, "sms", delivered=delivered)
    reserva = VentaReserva.objects.create(
        cliente=cliente,
        fecha_creacion=delivered.astimezone(datetime.UTC) + datetime.timedelta(days=3),
        total=50_000,
        pagado=20_000,
        estado_pago="parcial",
    )
    refresh([datetime.date(2026, 4, 5)], now=local(2026, 4, 6, 9))
    message.refresh_from_db()
    assert (message.conversion_reserva_id, message.conversion_revenue_clp) == (reserva.pk, 20_000)
    assert message.converted_at == reserva.fecha_creacion
    from communications.models import DailyStat

    stat = DailyStat.objects.get(day=datetime.date(2026, 4, 2))  # the message's day, outside the refreshed range
    assert (stat.conversions, stat.revenue_clp) == (1, 20_000)


@pytest.mark.django_db
def test_a_cancelled_booking_loses_its_credit_on_the_next_refresh():
    cliente = new_client()
    clicked = local(2026, 11, 20, 10)
    message = _message(cliente, "email", clicked=clicked)
    reserva = VentaReserva.objects.create(
        cliente=cliente,
        fecha_creacion=clicked + datetime.timedelta(days=1),
        total=50_000,
        pagado=50_000,
        estado_pago="pagado",
    )
    day = datetime.date(2026, 11, 21)
    refresh([day], now=local(2026, 11, 22, 9))
    message.refresh_from_db()
    assert message.conversion_reserva_id == reserva.pk
    VentaReserva.objects.filter(pk=reserva.pk).update(estado_pago="cancelado")
    refresh([day], now=local(2026, 11, 22, 9))
    message.refresh_from_db()
    assert (message.converted_at, message.conversion_reserva_id, message.conversion_revenue_clp) == (None, None, None)


@pytest.mark.django_db
def test_transactional_messages_never_get_credit():
    cliente = new_client()
    delivered = local(2026, 11, 20, 10)
    _message(cliente, "sms", delivered=delivered, category="transactional")
    VentaReserva.objects.create(
        cliente=cliente, fecha_creacion=delivered + datetime.timedelta(hours=1), pagado=1000, estado_pago="pagado"
    )
    refresh([datetime.date(2026, 11, 20)], now=local(2026, 11, 21, 9))
    assert not Message.objects.filter(converted_at__isnull=False).exists()
