"""Trigger rules one by one: evening visits, one reminder per visit, cancellations, reruns, DST, 29 February."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from communications.models import Message, Reason, Status, TriggerSetting
from communications.tests.helpers import local, new_client, vip_client
from communications.tests.test_trigger_scenarios import book, replay
from communications.triggers import TRIGGERS, run
from ventas.models import VentaReserva
from ventas.tests.factories import ClienteFactory, ReservaServicioFactory, VentaReservaFactory, give_visits

pytestmark = pytest.mark.django_db


def messages(cliente, kind):
    return list(Message.objects.filter(cliente=cliente, kind=kind))


def test_an_evening_tub_gets_its_reminder_24_hours_before_at_local_time():
    ana = new_client()
    book(ana, datetime.date(2026, 11, 20), 21, 30, booked_at=local(2026, 11, 10, 12))
    replay(local(2026, 11, 19, 20), local(2026, 11, 19, 23))
    [reminder] = messages(ana, "appointment_reminder")
    # 21:30 is after marketing hours, but a reminder is transactional: it goes on time.
    assert (reminder.status, reminder.scheduled_for) == (Status.SENT, local(2026, 11, 19, 21, 30))
    assert reminder.expires_at == local(2026, 11, 20, 21, 30)
    assert reminder.context["hora"] == "21:30"


def test_several_services_at_one_visit_get_one_reminder_with_the_first_time():
    ana = new_client()
    book(ana, datetime.date(2026, 11, 20), 16, services=3, booked_at=local(2026, 11, 10, 12))
    replay(local(2026, 11, 19, 15), local(2026, 11, 19, 17))
    [reminder] = messages(ana, "appointment_reminder")
    assert reminder.context["hora"] == "16:00"


def test_a_booking_made_inside_the_window_gets_no_reminder_its_confirmation_suffices():
    ana = new_client()
    book(ana, datetime.date(2026, 11, 20), 18, booked_at=local(2026, 11, 20, 9))
    replay(local(2026, 11, 20, 9), local(2026, 11, 20, 12))
    assert messages(ana, "appointment_reminder") == []


def test_cancelled_bookings_get_no_reminder_and_lose_the_pending_one(django_capture_on_commit_callbacks):
    ana, bea = new_client(), new_client()
    cancelled = book(ana, datetime.date(2026, 11, 20), 18, booked_at=local(2026, 11, 10, 12))
    VentaReserva.objects.filter(pk=cancelled.pk).update(estado_pago="cancelado")
    later = book(bea, datetime.date(2026, 11, 20), 18, 30, booked_at=local(2026, 11, 10, 12))
    replay(local(2026, 11, 19, 17), local(2026, 11, 19, 17))  # bea's reminder is scheduled for 18:30
    assert messages(ana, "appointment_reminder") == []
    with django_capture_on_commit_callbacks(execute=True):
        later.estado_pago = "cancelado"
        later.save()
    [reminder] = messages(bea, "appointment_reminder")
    assert (reminder.status, reminder.reason) == (Status.CANCELLED, Reason.BOOKING_CANCELLED)


def test_an_unsent_reminder_expires_at_the_appointment():
    ana = new_client()
    book(ana, datetime.date(2026, 11, 20), 18, booked_at=local(2026, 11, 10, 12))
    with time_machine.travel(local(2026, 11, 19, 17), tick=False):
        run(TRIGGERS["appointment_reminder"], local(2026, 11, 19, 17))
    from communications import actions

    actions.expire_due(local(2026, 11, 20, 18, 1))
    [reminder] = messages(ana, "appointment_reminder")
    assert (reminder.status, reminder.reason) == (Status.EXPIRED, Reason.EXPIRED)


def test_running_the_same_sweep_twice_sends_once():
    vip = vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    now = local(2026, 11, 25, 11)
    first = run(TRIGGERS["birthday"], now)
    second = run(TRIGGERS["birthday"], now)
    assert first.total("queued") == 1
    assert (second.total(), second.skipped_existing) == (0, 1)
    assert len(messages(vip, "birthday")) == 1


def test_a_missed_sweep_catches_up_later_the_same_day_without_duplicates():
    vip = vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    # Beat was down all morning; the first sweep after it comes back still wishes happy birthday.
    replay(local(2026, 11, 25, 16), local(2026, 11, 25, 19))
    [birthday] = messages(vip, "birthday")
    assert (birthday.status, birthday.scheduled_for) == (Status.SENT, local(2026, 11, 25, 16))


def test_a_birthday_found_too_late_for_today_is_blocked_as_expired_instead_of_arriving_tomorrow():
    vip = vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    replay(local(2026, 11, 25, 21), local(2026, 11, 26, 10))
    [birthday] = messages(vip, "birthday")
    # Decided at 21:00, its next slot (tomorrow 09:00) is after midnight: never "scheduled".
    assert (birthday.status, birthday.reason) == (Status.BLOCKED, Reason.EXPIRED)


def test_leap_day_birthdays_are_celebrated_on_28_february_in_common_years():
    leapling = vip_client(fecha_nacimiento=datetime.date(1992, 2, 29))
    replay(local(2027, 2, 27, 10), local(2027, 2, 27, 10))
    assert messages(leapling, "birthday") == []
    replay(local(2027, 2, 28, 10), local(2027, 2, 28, 10))  # a Sunday: the daytime window...
    [birthday] = messages(leapling, "birthday")
    assert birthday.idempotency_key == f"birthday:{leapling.pk}:2027"
    replay(local(2028, 2, 29, 10), local(2028, 2, 29, 10))  # ...and in a leap year, on the day itself
    assert len(messages(leapling, "birthday")) == 2


def test_zero_spend_clients_and_opted_out_clients_get_no_birthday_sms():
    nobody = ClienteFactory(fecha_nacimiento=datetime.date(1990, 11, 25))  # no paid visit: zero_spend
    declined = vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    from communications import api

    api.opt_out(declined, channel="sms", scope="birthday")
    replay(local(2026, 11, 25, 10), local(2026, 11, 25, 10))
    assert messages(nobody, "birthday") == []
    [refused] = messages(declined, "birthday")
    assert (refused.status, refused.reason) == (Status.BLOCKED, Reason.OPTED_OUT)


def test_reminders_across_the_dst_start_use_local_wall_clock():
    ana = new_client()
    # Sunday 6 September 2026: local midnight jumps to 01:00.
    book(ana, datetime.date(2026, 9, 6), 10, booked_at=local(2026, 8, 20, 12))
    replay(local(2026, 9, 5, 8), local(2026, 9, 5, 11))
    [reminder] = messages(ana, "appointment_reminder")
    assert reminder.scheduled_for == local(2026, 9, 5, 10)  # the day before at the same local time


def test_staff_can_switch_a_trigger_off():
    TriggerSetting.objects.filter(name="birthday").update(enabled=False)
    vip = vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    replay(local(2026, 11, 25, 10), local(2026, 11, 25, 10))
    assert messages(vip, "birthday") == []


def test_staff_can_tune_a_trigger_the_newsletter_audience():
    TriggerSetting.objects.filter(name="vip_newsletter").update(segments=["regular_low_spend"])
    vip = vip_client()
    regular = ClienteFactory()
    give_visits(regular, 3, 5_000, days_ago=10)
    replay(local(2026, 11, 25, 10), local(2026, 11, 25, 10))
    assert messages(vip, "vip_newsletter") == [] and len(messages(regular, "vip_newsletter")) == 1


def test_run_triggers_dry_run_writes_and_sends_nothing():
    from django.core import mail

    from communications.channels.sms.backends import locmem

    vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    out = io.StringIO()
    call_command("run_triggers", "--type", "all", "--dry-run", "--at", "2026-11-25 11:00", stdout=out)
    assert "[simulación] Cumpleaños [birthday]: 1 en cola" in out.getvalue()
    assert Message.objects.count() == 0 and mail.outbox == [] and locmem.outbox == []


def test_run_triggers_for_real_at_a_local_time():
    vip = vip_client(fecha_nacimiento=datetime.date(1990, 11, 25))
    out = io.StringIO()
    call_command("run_triggers", "--type", "birthday", "--at", "2026-11-25 11:00", stdout=out)
    assert "Cumpleaños [birthday]: 1 en cola" in out.getvalue()
    assert len(messages(vip, "birthday")) == 1


def test_a_booking_is_confirmed_once_however_often_it_is_saved(django_capture_on_commit_callbacks):
    ana = new_client()
    with django_capture_on_commit_callbacks(execute=True):
        venta = book(ana, datetime.date(2026, 11, 27), 18, services=2, booked_at=local(2026, 11, 25, 10))
    with time_machine.travel(local(2026, 11, 25, 11), tick=False), django_capture_on_commit_callbacks(execute=True):
        venta.total = 90_000
        venta.save()
    replay(local(2026, 11, 25, 12), local(2026, 11, 25, 12))  # and the sweep runs too
    [confirmation] = messages(ana, "booking_confirmation")
    assert (confirmation.channel, confirmation.reserva_id) == ("sms", venta.pk)
    assert confirmation.context["hora"] == "18:00"


def test_a_cancelled_booking_is_never_confirmed(django_capture_on_commit_callbacks):
    ana = new_client()
    with time_machine.travel(local(2026, 11, 25, 10), tick=False):
        venta = VentaReservaFactory(cliente=ana, estado_pago="cancelado", fecha_reserva=local(2026, 11, 27, 18))
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(local(2026, 11, 25, 10), tick=False):
        ReservaServicioFactory(venta_reserva=venta, fecha_agendamiento=datetime.date(2026, 11, 27))
    replay(local(2026, 11, 25, 10), local(2026, 11, 25, 12))
    assert messages(ana, "booking_confirmation") == []
