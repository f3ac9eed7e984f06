"""The plan's three use cases, replayed hour by hour with frozen local time.

Each scenario runs every trigger and the outbox sweep hourly (delivery simulated)
and checks exactly which messages a client gets, and at which local times.
"""

import datetime

import pytest
import time_machine

from communications import actions
from communications.engagement import record_click
from communications.gate import promote_due
from communications.models import Message, Reason, Status
from communications.rendering import render_message
from communications.simulation import deliver_due
from communications.tests.helpers import inactive_client, local, new_client, vip_client
from communications.triggers import TRIGGERS, run
from ventas.tests.factories import ReservaServicioFactory, ServicioFactory, VentaReservaFactory

pytestmark = pytest.mark.django_db
# The personas' visits are dated from "now" (give_visits): a fixed day keeps an inactive client
# inactive for the November replays whatever the wall clock says (they broke once it passed 3 Dec).
CREATED = datetime.datetime(2026, 12, 1, 15, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def personas_created_on_a_fixed_day():
    with time_machine.travel(CREATED, tick=False):
        yield


PHONE_BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)


def replay(start, end, step=datetime.timedelta(hours=1)):
    now = start
    while now <= end:
        with time_machine.travel(now, tick=False):
            for trigger in TRIGGERS.values():
                run(trigger, now)
            actions.expire_due(now)
            promote_due(now)
            deliver_due(now)
        now += step


def timeline(cliente, *statuses):
    rows = Message.objects.filter(cliente=cliente)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return sorted((m.kind, m.scheduled_for.astimezone(local(2026, 1, 1).tzinfo)) for m in rows)


def book(cliente, day, hour, minute=0, *, booked_at, duration=120, capture=None, services=1):
    """A booking made at ``booked_at`` for a visit on ``day`` (its services one after another)."""
    with time_machine.travel(booked_at, tick=False):
        venta = VentaReservaFactory(
            cliente=cliente,
            fecha_creacion=booked_at,
            fecha_reserva=local(day.year, day.month, day.day, hour, minute),
            estado_pago="pendiente",
            pagado=0,
        )
        for n in range(services):
            ReservaServicioFactory(
                venta_reserva=venta,
                servicio=ServicioFactory(duracion=duration),
                fecha_agendamiento=day,
                hora_inicio=datetime.time(hour + 2 * n, minute),
            )
    return venta


def test_new_client_gets_confirmation_welcome_series_reminder_and_followup(django_capture_on_commit_callbacks):
    monday = local(2026, 11, 2, 10)
    ana = new_client(nombre="Ana Pérez")
    with django_capture_on_commit_callbacks(execute=True):
        book(ana, datetime.date(2026, 11, 6), 18, 30, booked_at=monday)
    replay(monday, local(2026, 12, 3, 12))
    assert timeline(ana, Status.SENT) == [
        ("appointment_reminder", local(2026, 11, 5, 18, 30)),
        ("booking_confirmation", local(2026, 11, 2, 10)),
        ("satisfaction_followup", local(2026, 11, 7, 20, 30)),  # 24 h after the tub ends
        ("welcome_1", local(2026, 11, 3, 10)),
        ("welcome_30", local(2026, 12, 2, 10)),  # (sorted by kind name)
        ("welcome_7", local(2026, 11, 9, 10)),
    ]
    assert Message.objects.filter(cliente=ana).count() == 6  # nothing else was even attempted


def test_vip_gets_birthday_once_monthly_newsletter_and_quarterly_loyalty():
    vip = vip_client(fecha_nacimiento=datetime.date(1985, 11, 10))
    replay(local(2026, 11, 9, 0), local(2026, 12, 2, 0))
    assert timeline(vip, Status.SENT) == [
        ("birthday", local(2026, 11, 10, 10)),
        ("loyalty_rewards", local(2026, 11, 16, 9)),  # the newsletter took that week's email
        ("vip_newsletter", local(2026, 11, 9, 10)),
        ("vip_newsletter", local(2026, 12, 1, 10)),
    ]
    birthday = Message.objects.get(cliente=vip, kind="birthday")
    assert "25%" in render_message(birthday, vip)[1]  # the VIP variant of the template
    loyalty = Message.objects.get(cliente=vip, kind="loyalty_rewards")
    assert loyalty.reason == Reason.CAP_EMAIL_WEEKLY  # why it waited a week


def test_vip_early_access_sms_at_most_twice_a_month():
    from communications import api

    vip = vip_client()
    outcomes = [
        api.send(
            vip, "vip_early_access", key=f"early:{n}", now=local(2026, 11, 2 + n, 11), context={"novedad": "tina nueva"}
        )
        for n in range(3)
    ]
    assert [(o.status, o.reason) for o in outcomes] == [("queued", ""), ("queued", ""), ("blocked", Reason.CAP_KIND)]


def test_inactive_client_gets_email_then_sms_only_without_a_response():
    silent, clicker = inactive_client(), inactive_client()
    replay(local(2026, 11, 2, 9), local(2026, 11, 2, 12))
    email = Message.objects.get(cliente=clicker, kind="reactivation_email")
    record_click(email, "https://aremko.cl/reservas", user_agent=PHONE_BROWSER, now=local(2026, 11, 3, 20))
    replay(local(2026, 11, 2, 13), local(2026, 11, 12, 12))
    assert timeline(silent, Status.SENT) == [
        ("reactivation_email", local(2026, 11, 2, 10)),
        ("reactivation_sms", local(2026, 11, 9, 10)),  # seven days without a click, reply or booking
    ]
    assert timeline(clicker) == [("reactivation_email", local(2026, 11, 2, 10))]


def test_an_email_open_alone_is_not_a_response():
    opener = inactive_client()
    replay(local(2026, 11, 2, 10), local(2026, 11, 2, 10))
    email = Message.objects.get(cliente=opener, kind="reactivation_email")
    Message.objects.filter(pk=email.pk).update(opened_at=local(2026, 11, 3, 9))
    replay(local(2026, 11, 9, 10), local(2026, 11, 9, 10))
    assert Message.objects.filter(cliente=opener, kind="reactivation_sms", status=Status.SENT).exists()


def test_a_booking_cancels_the_pending_return_offer(django_capture_on_commit_callbacks):
    client = inactive_client()
    replay(local(2026, 11, 2, 10), local(2026, 11, 2, 10))
    # The sweep that finds the SMS due runs late (21:00): quiet hours hold it until 09:00...
    replay(local(2026, 11, 9, 21), local(2026, 11, 9, 21))
    offer = Message.objects.get(cliente=client, kind="reactivation_sms")
    assert (offer.status, offer.reason) == (Status.SCHEDULED, Reason.QUIET_HOURS)
    # ...and the client books that night.
    with django_capture_on_commit_callbacks(execute=True):
        book(client, datetime.date(2026, 11, 20), 17, booked_at=local(2026, 11, 9, 22))
    offer.refresh_from_db()
    assert (offer.status, offer.reason) == (Status.CANCELLED, Reason.RESPONDED)


def test_reactivation_again_ninety_days_later_not_at_the_next_quarter():
    client = inactive_client()
    replay(local(2026, 11, 2, 10), local(2026, 11, 2, 10))
    replay(local(2026, 12, 14, 10), local(2026, 12, 14, 10))
    replay(local(2027, 1, 4, 10), local(2027, 1, 4, 10))  # a new quarter, but only 63 days later
    replay(local(2027, 2, 1, 10), local(2027, 2, 1, 10))  # 91 days later
    emails = timeline(client.__class__.objects.get(pk=client.pk), Status.SENT)
    assert [kind for kind, _ in emails].count("reactivation_email") == 2
    assert ("reactivation_email", local(2027, 2, 1, 10)) in emails
