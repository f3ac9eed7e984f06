"""Send time in the gate: the client's hour replaces the requested one, once, caps and quiet hours intact."""

import datetime

import pytest

from communications import api
from communications.gate import request_message
from communications.insights import send_slot
from communications.insights.models import ClientInsight
from communications.models import Reason
from communications.tests.helpers import local, new_client, req

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)  # a Wednesday, open hours 9-20


def with_hour(hour):
    cliente = new_client()
    ClientInsight.objects.create(cliente=cliente, best_hour=hour)
    return cliente


@pytest.fixture(autouse=True)
def no_exploration(settings):
    settings.SEND_TIME_EXPLORATION_SHARE = 0.0


def test_a_later_hour_today_moves_the_newsletter_to_it():
    outcome = request_message(req(with_hour(16), kind="vip_newsletter", channel="email"), now=WED)
    assert outcome.message.scheduled_for == local(2026, 11, 25, 16)
    assert outcome.reason == Reason.SEND_TIME
    assert not outcome.message.send_time_exploration


def test_an_hour_already_past_today_goes_to_the_next_open_day_within_24_hours():
    outcome = request_message(req(with_hour(9), kind="vip_newsletter", channel="email"), now=WED)
    assert outcome.message.scheduled_for == local(2026, 11, 26, 9)


def test_a_move_beyond_24_hours_keeps_the_requested_slot():
    saturday = local(2026, 11, 28, 19)  # Sunday is closed: 9 h on Monday is 38 h later
    assert send_slot.shifted_slot(saturday, 9, saturday) is None


def test_kinds_that_are_time_bound_are_never_moved():
    outcome = request_message(req(with_hour(16), kind="manual"), now=WED)
    assert outcome.reason == ""
    assert outcome.message.scheduled_for == WED


def test_a_client_without_a_stored_hour_keeps_the_requested_slot():
    outcome = request_message(req(new_client(), kind="vip_newsletter", channel="email"), now=WED)
    assert outcome.message.scheduled_for == WED


def test_exploration_is_flagged_and_the_same_on_every_rerun(settings):
    settings.SEND_TIME_EXPLORATION_SHARE = 1.0
    cliente = with_hour(16)
    preview = api.explain(cliente, "vip_newsletter", channel="email", now=WED, key="news-1")
    outcome = api.send(cliente, "vip_newsletter", channel="email", now=WED, key="news-1")
    assert outcome.message.send_time_exploration
    assert preview.decision.scheduled_for == outcome.message.scheduled_for
    assert 9 <= outcome.message.scheduled_for.astimezone(local(2026, 1, 1).tzinfo).hour < 20


def test_quiet_hours_still_apply_to_the_moved_slot(settings):
    settings.QUIET_HOURS_CLOSE = datetime.time(15)
    outcome = request_message(req(with_hour(16), kind="vip_newsletter", channel="email"), now=WED)
    # 16 h is closed: the moved slot is deferred like any other.
    assert outcome.reason == Reason.QUIET_HOURS
    assert outcome.message.scheduled_for == local(2026, 11, 26, 9)


def test_the_kind_cap_still_holds_for_a_moved_newsletter():
    cliente = with_hour(16)
    request_message(req(cliente, kind="vip_newsletter", channel="email"), now=WED)
    second = request_message(req(cliente, kind="vip_newsletter", channel="email"), now=WED)
    assert second.reason in {Reason.CAP_KIND, Reason.CAP_EMAIL_WEEKLY}
