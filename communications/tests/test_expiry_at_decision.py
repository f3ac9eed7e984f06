"""M1: a message whose next allowed slot falls after its expiry is blocked at decision time, never "scheduled"."""

import datetime

import pytest

from communications import actions, api, gate
from communications.models import Message, Reason, Status
from communications.tests.lifecycle_helpers import L, booking, client, msgs, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_birthday_window(settings):
    # The general guard, without the birthday's own Sunday window (tested in test_birthday_window).
    settings.BIRTHDAY_WINDOW_START = settings.BIRTHDAY_WINDOW_END = datetime.time(10)


def test_a_birthday_that_quiet_hours_would_push_past_midnight_is_blocked_as_expired_not_scheduled(no_birthday_window):
    c1 = client("Ana Domingo", fecha_nacimiento=datetime.date(1990, 2, 28))
    c2 = client("Beto Bisiesto", fecha_nacimiento=datetime.date(1992, 2, 29))
    for c in (c1, c2):
        booking(c, "2026-01-10 10:00", [("2026-01-12 10:00",)])
    assert run("birthday", "2027-02-28 08:00") == {("birthday", "blocked", Reason.EXPIRED): 2}  # Sunday
    [row] = msgs(c1)
    assert row[:3] == ("birthday", Status.BLOCKED, Reason.EXPIRED)
    message = Message.objects.get(cliente=c1)
    assert (message.first_status, message.first_reason) == (Status.BLOCKED, Reason.EXPIRED)
    assert "posterior a su vencimiento" in message.reason_detail
    now = L("2027-03-01 09:00")
    assert (actions.expire_due(now), gate.promote_due(now)) == (0, {})


def test_a_dry_run_and_explain_say_expired_too(no_birthday_window):
    ana = client("Ana Domingo", fecha_nacimiento=datetime.date(1990, 2, 28))
    booking(ana, "2026-01-10 10:00", [("2026-01-12 10:00",)])
    assert run("birthday", "2027-02-28 08:00", dry=True) == {("birthday", "blocked", Reason.EXPIRED): 1}
    outcome = api.explain(
        ana, "birthday", at=L("2027-02-28 10:00"), expires_at=L("2027-03-01 00:00"), now=L("2027-02-28 08:00")
    )
    assert (outcome.status, outcome.reason) == ("blocked", Reason.EXPIRED)
    assert "01-03-2027 09:00" in outcome.decision.detail  # when it could have gone
    assert Message.objects.count() == 0


def test_a_transactional_message_asked_for_after_its_expiry_is_blocked_as_expired():
    ana = client("Ana")
    outcome = api.send(
        ana,
        "appointment_reminder",
        at=L("2027-01-14 18:00"),
        expires_at=L("2027-01-15 18:00"),
        now=L("2027-01-15 18:30"),
        context={"fecha": "x", "hora": "y", "servicio": "z"},
    )
    assert (outcome.status, outcome.reason) == ("blocked", Reason.EXPIRED)


def test_a_message_that_can_still_go_before_its_expiry_is_scheduled_as_before():
    ana = client("Ana")
    outcome = api.send(
        ana, "manual", channel="sms", custom_text="Hola", expires_at=L("2027-03-02 00:00"), now=L("2027-03-01 07:00")
    )
    assert (outcome.status, outcome.reason) == ("scheduled", Reason.QUIET_HOURS)


def test_promotion_blocks_as_expired_a_scheduled_message_that_lost_its_slot_to_transactional_sms():
    wanda = client("Wanda")
    campaign = api.send(
        wanda,
        "manual",
        channel="sms",
        custom_text="Hola {{ nombre }}, 2x1 solo hoy",
        at=L("2027-03-10 15:00"),
        expires_at=L("2027-03-11 00:00"),
        now=L("2027-03-10 09:00"),
    ).message
    for kind in ("booking_confirmation", "appointment_reminder"):  # two transactional SMS fill the day
        api.send(wanda, kind, context={"fecha": "x", "hora": "y", "servicio": "z"}, now=L("2027-03-10 11:00"))
    assert gate.promote_due(L("2027-03-10 15:00")) == {f"blocked:{Reason.EXPIRED}": 1}
    campaign.refresh_from_db()
    assert (campaign.status, campaign.reason) == (Status.BLOCKED, Reason.EXPIRED)
