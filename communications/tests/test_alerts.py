"""Alerts fire, dedupe (one open row and one email per code per 24 h), hold near the line and resolve."""

import datetime
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command

from communications import delivery
from communications.gate import request_message
from communications.models import Alert, Message, Reason, Status, SweepRun
from communications.stats import alerts
from communications.stats.kpis import Rate
from communications.tests.helpers import local, new_client, req

from .dashboard_helpers import bucket, staff_user

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 30, 15)
TODAY = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def quiet_sweeps(settings):
    """Only the checks a test is about: no watched sweeps unless the test sets them."""
    settings.ALERT_WATCHED_SWEEPS = []
    settings.ALERT_EMAILS = ["operaciones@aremko.cl"]


def outcome(code, now=NOW, **kwargs):
    return next(o for o in alerts.check(now, **kwargs) if o.code == code)


def complaints(n, delivered=1000, day=TODAY - timedelta(days=1)):
    return bucket(day, "email", "vip_newsletter", handed=delivered, delivered=delivered, complaints=n)


# --- the pure rules ------------------------------------------------------------------------


def test_a_ceiling_rate_fires_above_it_holds_in_the_last_tenth_and_clears_below_90_percent():
    assert alerts.ceiling_state(Rate(3, 1000), 0.002, 200)[0] == alerts.FIRE
    assert alerts.ceiling_state(Rate(19, 10_000), 0.002, 200)[0] == alerts.HOLD
    assert alerts.ceiling_state(Rate(17, 10_000), 0.002, 200)[0] == alerts.CLEAR


def test_a_rate_over_fewer_than_200_messages_decides_nothing():
    assert alerts.ceiling_state(Rate(50, 199), 0.001, 200)[0] == alerts.HOLD


def test_delivery_fires_below_95_percent_and_clears_only_above_95_5():
    assert alerts.floor_state(Rate(940, 1000), 0.95, 200)[0] == alerts.FIRE
    assert alerts.floor_state(Rate(952, 1000), 0.95, 200)[0] == alerts.HOLD
    assert alerts.floor_state(Rate(960, 1000), 0.95, 200)[0] == alerts.CLEAR


def test_an_unknown_spike_needs_five_and_three_times_the_weekly_hourly_mean():
    assert alerts.unknown_spike_state(5, 0) == alerts.FIRE
    assert alerts.unknown_spike_state(4, 0) == alerts.CLEAR
    assert alerts.unknown_spike_state(6, 2 * 168) == alerts.CLEAR  # 6 is not more than 3 × 2 per hour
    assert alerts.unknown_spike_state(7, 2 * 168) == alerts.FIRE


# --- raise, dedupe, email, resolve ---------------------------------------------------------


def test_a_complaint_rate_over_0_1_percent_raises_one_alert_and_one_email():
    complaints(2)
    assert outcome("complaint_rate").action == "raised"
    alert = Alert.objects.get(code="complaint_rate")
    assert (alert.severity, alert.count, alert.resolved_at) == ("critical", 1, None)
    assert "0,20 %" in alert.detail and "2 de 1000" in alert.detail
    [email] = mail.outbox
    assert email.to == ["operaciones@aremko.cl"]
    assert email.subject == "[Aremko] Alerta: Tasa de quejas de spam sobre 0,1 % (7 días)"


def test_an_alert_that_keeps_firing_stays_one_row_and_is_emailed_once_per_24_hours():
    complaints(2)
    for minutes in range(0, 24 * 60, 15):  # a day of beat checks
        alerts.check(NOW + timedelta(minutes=minutes))
    alert = Alert.objects.get(code="complaint_rate")
    assert alert.count == 96
    assert len(mail.outbox) == 1
    alerts.check(NOW + timedelta(hours=24))
    assert len(mail.outbox) == 2


def test_an_alert_resolves_when_the_rate_falls_below_90_percent_of_the_threshold():
    stat = complaints(2)
    alerts.check(NOW)
    stat.complaints = 1  # 0,1 %: no longer firing but not clearly below the line
    stat.save()
    assert outcome("complaint_rate", NOW + timedelta(minutes=15)).action == "unchanged"
    assert Alert.objects.get(code="complaint_rate").resolved_at is None
    stat.delivered = stat.handed = 2000  # 0,05 %
    stat.save()
    assert outcome("complaint_rate", NOW + timedelta(minutes=30)).action == "resolved"
    assert Alert.objects.get(code="complaint_rate").resolved_at == NOW + timedelta(minutes=30)


def test_a_code_that_fires_again_after_resolving_opens_a_new_row_but_no_second_email_that_day():
    stat = complaints(2)
    alerts.check(NOW)
    stat.complaints = 0
    stat.save()
    alerts.check(NOW + timedelta(hours=1))
    stat.complaints = 5
    stat.save()
    assert outcome("complaint_rate", NOW + timedelta(hours=2)).action == "raised"
    assert Alert.objects.filter(code="complaint_rate").count() == 2
    assert len(mail.outbox) == 1


def test_no_alert_emails_without_recipients(settings):
    settings.ALERT_EMAILS = []
    complaints(2)
    alerts.check(NOW)
    assert Alert.objects.filter(code="complaint_rate").exists()
    assert mail.outbox == []


def test_the_dry_run_says_what_would_happen_and_writes_nothing():
    complaints(2)
    assert outcome("complaint_rate", dry_run=True).action == "raised"
    assert not Alert.objects.exists()
    assert mail.outbox == []


def test_opt_outs_bounces_and_sms_delivery_fire_over_seven_days_with_enough_messages():
    day = TODAY - timedelta(days=3)
    bucket(day, "sms", "campaign", handed=300, delivered=270, failed=30, opt_outs=13)  # 13 / 562 delivered
    bucket(day, "email", "vip_newsletter", handed=300, delivered=292, bounces=8)
    bucket(TODAY - timedelta(days=9), "email", "vip_newsletter", handed=10_000, delivered=10_000)  # outside 7 days
    fired = {o.code for o in alerts.check(NOW) if o.action == "raised"}
    assert {"opt_out_rate", "email_bounce_rate", "sms_delivery"} <= fired
    assert "complaint_rate" not in fired


def test_marketing_blocked_by_caps_above_the_configured_share_is_spam_pressure(settings):
    settings.ALERT_CAP_PRESSURE_SHARE = 0.25
    bucket(
        TODAY - timedelta(days=1),
        "sms",
        "campaign",
        requested=400,
        blocked=120,
        blocked_by_reason={"cap_sms_daily": 120},
    )
    bucket(TODAY - timedelta(days=1), "sms", "booking_confirmation", requested=5000)  # transactional: not counted
    assert outcome("cap_pressure").action == "raised"
    settings.ALERT_CAP_PRESSURE_SHARE = 0.5
    assert outcome("cap_pressure", NOW + timedelta(minutes=15)).action == "resolved"


def test_a_client_over_a_cap_fires_the_invariant_alert():
    ana = new_client()
    for hour in (10, 11, 12):
        Message.objects.create(
            cliente=ana,
            channel="sms",
            kind="campaign",
            category="marketing",
            idempotency_key=f"forged:{hour}",
            status=Status.SENT,
            scheduled_for=local(2026, 11, 30, hour),
            counts_on=TODAY,
        )
    assert outcome("cap_exceeded").action == "raised"
    assert f"cliente {ana.pk}" in Alert.objects.get(code="cap_exceeded").detail


def test_the_invariant_alert_stays_quiet_for_traffic_the_gate_allowed():
    ana = new_client()
    for hour in (10, 11, 12):
        request_message(req(ana, "manual", "sms"), now=local(2026, 11, 30, hour))
    assert outcome("cap_exceeded").action == "unchanged"


def test_a_message_queued_for_more_than_15_minutes_fires_and_clears_once_sent():
    message = request_message(req(new_client(), "booking_confirmation", "sms"), now=NOW - timedelta(minutes=20)).message
    assert message.status == Status.QUEUED
    assert outcome("queue_stale").action == "raised"
    assert "20 minutos" in Alert.objects.get(code="queue_stale").detail
    Message.objects.filter(pk=message.pk).update(status=Status.SENT)
    assert outcome("queue_stale", NOW + timedelta(minutes=1)).action == "resolved"


def test_a_watched_sweep_silent_for_15_minutes_fires(settings):
    settings.ALERT_WATCHED_SWEEPS = ["sweep_outbox"]
    SweepRun.objects.create(task="sweep_outbox", started_at=NOW - timedelta(minutes=14), ok=True)
    assert outcome("sweep_silent").action == "unchanged"
    assert outcome("sweep_silent", NOW + timedelta(minutes=2)).action == "raised"
    assert "sweep_outbox" in Alert.objects.get(code="sweep_silent").detail


def test_a_spike_of_unknown_outcomes_fires():
    ana = new_client()
    for i in range(5):
        Message.objects.create(
            cliente=ana,
            channel="sms",
            kind="booking_confirmation",
            category="transactional",
            idempotency_key=f"unknown:{i}",
            status=Status.UNKNOWN,
            reason=Reason.PROVIDER_AMBIGUOUS,
            scheduled_for=NOW - timedelta(minutes=30),
            counts_on=TODAY,
            provider_call_started_at=NOW - timedelta(minutes=30),
        )
    assert outcome("unknown_spike").action == "raised"


def test_a_paused_channel_fires_canal_en_pausa():
    cache.set(delivery.pause_key("sms"), True, 900)
    assert outcome("channel_paused").action == "raised"
    assert "sms" in Alert.objects.get(code="channel_paused").detail
    cache.clear()
    assert outcome("channel_paused", NOW + timedelta(minutes=15)).action == "resolved"


def test_template_errors_of_the_last_24_hours_fire():
    message = request_message(req(new_client(), "booking_confirmation", "sms"), now=NOW).message
    Message.objects.filter(pk=message.pk).update(
        status=Status.BLOCKED, reason=Reason.TEMPLATE_ERROR, closed_at=NOW - timedelta(hours=2)
    )
    assert outcome("template_error").action == "raised"
    assert outcome("template_error", NOW + timedelta(hours=23)).action == "resolved"


# --- where staff see them ----------------------------------------------------------------------


def test_open_alerts_show_as_a_banner_on_every_admin_page(client):
    complaints(2)
    alerts.check(NOW)
    client.force_login(staff_user())
    for url in ("/admin/", "/admin/communications/message/", "/admin/communications/dashboard/"):
        page = client.get(url).content.decode()
        assert 'id="alert-banner"' in page, url
        assert "Tasa de quejas de spam sobre 0,1 % (7 días)" in page


def test_no_banner_once_the_alert_is_resolved(client):
    Alert.objects.create(code="queue_stale", severity="critical", resolved_at=NOW)
    client.force_login(staff_user())
    assert 'id="alert-banner"' not in client.get("/admin/").content.decode()


def test_the_beat_task_records_its_run_and_the_command_prints_spanish(capsys):
    from communications.tasks import check_alerts

    complaints(2)
    with time_machine.travel(NOW, tick=False):
        check_alerts()
        call_command("check_alerts", "--dry-run")
    run = SweepRun.objects.get(task="check_alerts")
    assert run.ok and run.counts["complaint_rate"] == "raised"
    out = capsys.readouterr().out
    assert "seguiría abierta" in out and "Simulación: nada se escribió." in out
