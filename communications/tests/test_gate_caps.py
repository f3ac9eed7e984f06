"""Caps, quiet hours and kinds through the gate, with the plan's personas and local times."""

import datetime

import pytest

from communications import api
from communications.gate import request_message, request_messages
from communications.models import Message, Reason, Status
from communications.tests.helpers import local, new_client, req, vip_client
from communications.usage import usage_snapshot

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)  # a Wednesday, open hours


def statuses(outcomes):
    return [(o.status, o.reason) for o in outcomes]


def test_the_third_marketing_sms_of_a_day_is_deferred_to_the_next_morning():
    ana = new_client()
    outcomes = request_messages([req(ana) for _ in range(3)], now=WED)
    assert statuses(outcomes) == [("queued", ""), ("queued", ""), ("scheduled", Reason.CAP_SMS_DAILY)]
    assert outcomes[2].decision.scheduled_for == local(2026, 11, 26, 9)
    assert outcomes[2].message.counts_on == datetime.date(2026, 11, 26)


def test_the_ninth_sms_of_a_month_waits_for_next_month():
    ana = new_client()
    # Two a day from Monday 23rd to Thursday 26th: eight in November.
    for day in (23, 24, 25, 26):
        request_messages([req(ana), req(ana)], now=local(2026, 11, day, 10))
    ninth = request_message(req(ana), now=local(2026, 11, 27, 10))
    assert (ninth.status, ninth.reason) == ("scheduled", Reason.CAP_SMS_MONTHLY)
    assert ninth.decision.scheduled_for == local(2026, 12, 1, 9)


def test_month_end_at_23_30_local_counts_in_the_old_month():
    ana = new_client()
    for day in (24, 25, 26):
        request_messages([req(ana), req(ana)], now=local(2026, 11, day, 10))
    # Transactional SMS late on the 30th (already 1 December in UTC) still count in November.
    late = local(2026, 11, 30, 23, 30)
    for n in range(2):
        api.send(ana, "booking_confirmation", key=f"late-{n}", now=late, context={"fecha": "1", "hora": "2"})
    assert usage_snapshot(ana.pk, now=late)["sms_month"] == 8
    assert usage_snapshot(ana.pk, now=late)["sms_today"] == 2
    # So November is full for marketing, even on a day with no SMS of its own...
    explained = api.explain(ana, "manual", "sms", now=local(2026, 11, 27, 10))
    assert (explained.status, explained.reason) == ("scheduled", Reason.CAP_SMS_MONTHLY)
    assert explained.decision.scheduled_for == local(2026, 12, 1, 9)
    # ...and December is untouched by them.
    december = api.explain(ana, "manual", "sms", now=local(2026, 12, 1, 10))
    assert (december.status, december.reason) == ("queued", "")


def test_transactional_sms_are_never_capped_but_count_so_marketing_yields():
    ana = new_client()
    request_messages([req(ana), req(ana)], now=WED)
    booking = api.send(ana, "booking_confirmation", now=WED, context={"fecha": "26/11", "hora": "18:30"})
    assert (booking.status, booking.reason) == ("queued", "")
    tomorrow = local(2026, 11, 26, 10)
    api.send(ana, "appointment_reminder", now=tomorrow, context={"fecha": "27/11", "hora": "18:30", "servicio": "T"})
    api.send(ana, "appointment_reminder", now=tomorrow, context={"fecha": "27/11", "hora": "18:30", "servicio": "T"})
    marketing = request_message(req(ana), now=tomorrow)
    assert (marketing.status, marketing.reason) == ("scheduled", Reason.CAP_SMS_DAILY)
    assert marketing.decision.scheduled_for == local(2026, 11, 27, 9)


def test_one_marketing_email_per_iso_week_and_the_next_one_on_monday():
    ana = new_client()
    saturday = local(2026, 11, 28, 10)
    first = request_message(req(ana, "manual", "email"), now=saturday)
    second = request_message(req(ana, "manual", "email"), now=saturday)
    assert first.status == "queued"
    assert (second.status, second.reason) == ("scheduled", Reason.CAP_EMAIL_WEEKLY)
    assert second.decision.scheduled_for == local(2026, 11, 30, 9)


def test_transactional_email_does_not_use_the_weekly_marketing_allowance():
    ana = new_client()
    api.send(ana, "satisfaction_followup", now=WED, context={"servicio": "Tina"})
    marketing = request_message(req(ana, "manual", "email"), now=WED)
    assert (marketing.status, marketing.reason) == ("queued", "")


def test_marketing_in_quiet_hours_is_deferred_and_transactional_is_not():
    ana = new_client()
    night = local(2026, 11, 25, 21, 15)
    marketing = request_message(req(ana), now=night)
    assert (marketing.status, marketing.reason) == ("scheduled", Reason.QUIET_HOURS)
    assert marketing.decision.scheduled_for == local(2026, 11, 26, 9)
    booking = api.send(ana, "booking_confirmation", now=night, context={"fecha": "x", "hora": "y"})
    assert (booking.status, booking.reason) == ("queued", "")


def test_birthday_sms_once_a_year_then_dropped():
    vip = vip_client()
    first = api.send(vip, "birthday", key="birthday:a", now=WED)
    again = api.send(vip, "birthday", key="birthday:b", now=local(2026, 12, 2, 10))
    assert first.status == "queued"
    assert (again.status, again.reason) == ("blocked", Reason.CAP_KIND)
    next_year = api.send(vip, "birthday", key="birthday:c", now=local(2027, 1, 4, 10))
    assert next_year.status == "queued"


def test_a_birthday_that_falls_when_the_day_is_full_is_dropped_not_deferred():
    vip = vip_client()
    request_messages([req(vip), req(vip)], now=WED)
    late = api.send(vip, "birthday", now=WED)
    assert (late.status, late.reason) == ("blocked", Reason.CAP_SMS_DAILY)


def test_vip_early_access_at_most_twice_a_month():
    vip = vip_client()
    sent = [api.send(vip, "vip_early_access", now=local(2026, 11, d, 10), context={"novedad": "x"}) for d in (2, 3, 4)]
    assert [o.status for o in sent] == ["queued", "queued", "blocked"]
    assert sent[2].reason == Reason.CAP_KIND


def test_vip_newsletter_monthly_is_deferred_to_next_month():
    vip = vip_client()
    api.send(vip, "vip_newsletter", now=local(2026, 11, 2, 10))
    second = api.send(vip, "vip_newsletter", now=WED)
    assert (second.status, second.reason) == ("scheduled", Reason.CAP_KIND)
    assert second.decision.scheduled_for == local(2026, 12, 1, 9)


def test_reactivation_email_once_per_ninety_days_is_deferred_to_ninety_days_after_the_last():
    ana = new_client()
    api.send(ana, "reactivation_email", now=local(2026, 10, 5, 10))
    second = api.send(ana, "reactivation_email", now=WED)
    assert (second.status, second.reason) == ("scheduled", Reason.CAP_KIND)
    # 5 October + 90 days is Sunday 3 January 2027, not 1 January (a new quarter): Monday 09:00.
    assert second.decision.scheduled_for == local(2027, 1, 4, 9)


def test_each_welcome_email_once_per_client_ever():
    ana = new_client()
    api.send(ana, "welcome_1", now=local(2025, 3, 3, 10))
    again = api.send(ana, "welcome_1", now=WED)
    assert (again.status, again.reason) == ("blocked", Reason.CAP_KIND)
    assert api.send(ana, "welcome_7", now=WED).status == "queued"


def test_a_failed_message_releases_its_slot():
    ana = new_client()
    outcomes = request_messages([req(ana), req(ana)], now=WED)
    Message.objects.filter(pk=outcomes[0].message.pk).update(status=Status.FAILED)
    assert request_message(req(ana), now=WED).status == "queued"


def test_caps_come_from_settings(settings):
    settings.SMS_DAILY_LIMIT = 1
    ana = new_client()
    outcomes = request_messages([req(ana), req(ana)], now=WED)
    assert statuses(outcomes)[1] == ("scheduled", Reason.CAP_SMS_DAILY)


def test_a_campaign_may_choose_to_drop_instead_of_defer():
    ana = new_client()
    request_messages([req(ana), req(ana)], now=WED)
    dropped = request_message(req(ana, "campaign", when_capped="drop"), now=WED)
    assert (dropped.status, dropped.reason) == ("blocked", Reason.CAP_SMS_DAILY)


def test_staff_may_mark_a_manual_message_transactional():
    ana = new_client()
    request_messages([req(ana), req(ana)], now=WED)
    urgent = request_message(req(ana, category="transactional", custom_text="Cerramos hoy por temporal."), now=WED)
    assert (urgent.status, urgent.reason) == ("queued", "")
    assert urgent.message.category == "transactional"
