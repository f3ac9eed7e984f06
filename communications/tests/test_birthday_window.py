"""Birthdays on Sundays and Chilean holidays go in the daytime window instead of expiring (operations.md)."""

import datetime

import pytest

from communications import actions, gate
from communications.models import Message, Reason, Status, TriggerSetting
from communications.simulation import deliver_due
from communications.tests.lifecycle_helpers import L, booking, client, msgs, run

pytestmark = pytest.mark.django_db


def birthday_client(day: datetime.date, nombre="Ana"):
    c = client(nombre, fecha_nacimiento=day)
    booking(c, "2026-01-10 10:00", [("2026-01-12 10:00",)])
    return c


def sweep(at):
    now = L(at)
    run("birthday", at)
    actions.expire_due(now)
    gate.promote_due(now)
    deliver_due(now)


def test_a_sunday_birthday_goes_at_ten_inside_the_window_and_is_sent():
    ana = birthday_client(datetime.date(1990, 2, 28))
    beto = birthday_client(datetime.date(1992, 2, 29), "Beto")  # 29 Feb celebrates on Sunday 28 Feb 2027
    for hour in range(0, 14):
        sweep(f"2027-02-28 {hour:02d}:00")
    for c in (ana, beto):
        [row] = msgs(c)
        assert row[:4] == ("birthday", Status.SENT, "", "2027-02-28 10:00 Sun")


def test_the_eighteenth_of_september_holiday_uses_the_send_hour_when_it_falls_inside_the_window():
    TriggerSetting.objects.update_or_create(name="birthday", defaults={"send_hour": 11})
    ana = birthday_client(datetime.date(1988, 9, 18))  # Saturday 18 Sep 2027: a holiday
    run("birthday", "2027-09-18 08:00")
    [row] = msgs(ana)
    assert row[:4] == ("birthday", Status.SCHEDULED, "", "2027-09-18 11:00 Sat")
    sweep("2027-09-18 11:00")
    assert Message.objects.get(cliente=ana).status == Status.SENT


def test_a_send_hour_after_the_window_falls_back_to_the_window_start_on_a_holiday():
    TriggerSetting.objects.update_or_create(name="birthday", defaults={"send_hour": 15})
    ana = birthday_client(datetime.date(1988, 9, 18))
    run("birthday", "2027-09-18 08:00")
    assert msgs(ana)[0][3] == "2027-09-18 10:00 Sat"


def test_a_weekday_birthday_keeps_the_send_hour_and_marketing_hours():
    TriggerSetting.objects.update_or_create(name="birthday", defaults={"send_hour": 15})
    ana = birthday_client(datetime.date(1990, 3, 3))  # Wednesday 3 Mar 2027
    run("birthday", "2027-03-03 08:00")
    assert msgs(ana)[0][:4] == ("birthday", Status.SCHEDULED, "", "2027-03-03 15:00 Wed")


def test_a_sweep_after_the_window_on_a_sunday_blocks_it_as_expired_instead_of_scheduling_it():
    ana = birthday_client(datetime.date(1990, 2, 28))
    run("birthday", "2027-02-28 14:00")  # beat was down all morning
    assert msgs(ana)[0][:3] == ("birthday", Status.BLOCKED, Reason.EXPIRED)


def test_a_capped_birthday_is_still_dropped_on_a_sunday():
    from communications import api

    ana = birthday_client(datetime.date(1990, 2, 28))
    for n in range(2):  # two transactional SMS fill Sunday
        api.send(
            ana, "booking_confirmation", key=f"b{n}", context={"fecha": "x", "hora": "y"}, now=L("2027-02-28 08:00")
        )
    run("birthday", "2027-02-28 08:00")
    assert msgs(ana, kind="birthday")[0][:3] == ("birthday", Status.BLOCKED, Reason.CAP_SMS_DAILY)


def test_marketing_other_than_birthdays_still_waits_for_monday():
    from communications import api

    ana = client("Ana")
    outcome = api.send(ana, "manual", channel="sms", custom_text="Hola", now=L("2027-02-28 10:30"))
    assert (outcome.status, outcome.decision.scheduled_for) == ("scheduled", L("2027-03-01 09:00"))
