"""Delivering SMS rows through the real RedvoissService, HTTP mocked with responses.

``deliver`` is driven with an explicit, advancing ``now``: the row's attempts and
lease show the backoff, and the provider sees exactly the calls we expect.
"""

import datetime
import json
import logging

import pytest
import requests
import responses
import urllib3

from communications import api
from communications.delivery import channel_paused, deliver
from communications.models import COUNTED_STATUSES, Message, Status
from ventas.tests.factories import ClienteFactory

URL = "https://sms.example.test/services/rest"
SANTIAGO = datetime.timezone(datetime.timedelta(hours=-3))
TUESDAY_11 = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=SANTIAGO)  # open hours, not a holiday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redvoiss(settings):
    settings.SMS_BACKEND = "communications.channels.sms.backends.redvoiss.SmsBackend"
    settings.REDVOISS_API_URL = URL
    settings.REDVOISS_USERNAME = "aremko"
    settings.REDVOISS_PASSWORD = "clave"
    settings.MESSAGE_RETRY_BASE_SECONDS = 30
    settings.MESSAGE_MAX_ATTEMPTS = 5
    settings.SMS_COST_PER_SEGMENT_CLP = 12
    # These scenarios drive the plain /send endpoint with reminders; reply-capable
    # transactional SMS (the default) are covered in test_sms_replies.
    settings.SMS_TRANSACTIONAL_REPLY_CAPABLE = False
    with responses.RequestsMock() as http:
        yield http


def reminder(cliente=None, now=TUESDAY_11) -> Message:
    cliente = cliente or ClienteFactory(nombre="Ana Rojas")  # a GSM-7 name: one segment
    context = {"fecha": "12/03", "hora": "18:30", "servicio": "Tina caliente"}
    outcome = api.send(cliente, "appointment_reminder", key=f"reminder:{cliente.pk}", now=now, context=context)
    assert outcome.status == "queued"
    return outcome.message


def campaign_sms(cliente, text="Hola {{ nombre }}, 20% en tinas esta semana.", n=1) -> Message:
    key = f"campaign:{cliente.pk}:{n}"
    outcome = api.send(cliente, "campaign", channel="sms", key=key, custom_text=text, now=TUESDAY_11)
    return outcome.message


def sends(http):
    return [c for c in http.calls if c.request.method == "POST"]


def test_500_three_times_then_200_sends_once_after_backoff(redvoiss, settings):
    # REDVOISS.md calls a 5xx on a send ambiguous; this is the policy once the provider
    # confirms a 5xx means nothing was queued (see the next test for the default).
    settings.REDVOISS_RETRY_SEND_ON_5XX = True
    for _ in range(3):
        redvoiss.post(f"{URL}/send", status=500)
    redvoiss.post(f"{URL}/send", json={"batchId": 901})
    message = reminder()
    now = TUESDAY_11 + datetime.timedelta(seconds=1)
    leases = []
    for attempt, ceiling in ((1, 30), (2, 60), (3, 120)):
        result = deliver(message.pk, now=now)
        assert result.outcome == "retry"
        message.refresh_from_db()
        assert message.status == Status.SENDING and message.attempts == attempt
        wait = (message.lease_until - now).total_seconds()
        assert ceiling / 2 <= wait <= ceiling  # exponential backoff with jitter
        leases.append(wait)
        # Before the lease ends nobody may send it again, not even a duplicate task.
        assert deliver(message.pk, now=now + datetime.timedelta(seconds=wait / 2)).outcome == "not_claimed"
        now = message.lease_until
    assert deliver(message.pk, now=now).outcome == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_batch_id) == (Status.SENT, 4, "901")
    assert len(sends(redvoiss)) == 4
    assert deliver(message.pk, now=now + datetime.timedelta(hours=1)).outcome == "not_claimed"
    assert len(sends(redvoiss)) == 4


def test_a_500_on_a_send_is_unknown_by_default_and_never_resent(redvoiss):
    redvoiss.post(f"{URL}/send", status=500)
    message = reminder()
    assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1)).outcome == Status.UNKNOWN
    assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(hours=2)).outcome == "not_claimed"
    assert len(sends(redvoiss)) == 1


def test_a_read_timeout_after_sending_is_unknown_and_not_resent(redvoiss):
    redvoiss.post(f"{URL}/send", body=requests.ReadTimeout("read timed out"))
    message = reminder()
    assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1)).outcome == Status.UNKNOWN
    message.refresh_from_db()
    assert message.status == Status.UNKNOWN and message.reason == "provider_ambiguous"
    # It may have been billed: its text, segments and cost are on the row.
    assert message.segments == 1 and message.cost_clp == 12 and message.body
    assert message.status in COUNTED_STATUSES
    for hours in (1, 5, 30):
        assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(hours=hours)).outcome == "not_claimed"
    assert len(sends(redvoiss)) == 1


def test_a_400_about_the_number_fails_permanently_and_releases_the_cap(redvoiss, settings):
    settings.SMS_DAILY_LIMIT = 1
    redvoiss.post(f"{URL}/sendWithReply", status=400, json={"error": "número de destino inválido"})
    cliente = ClienteFactory()
    message = campaign_sms(cliente)
    later = TUESDAY_11 + datetime.timedelta(minutes=1)
    assert api.explain(cliente, "campaign", channel="sms", now=later).reason == "cap_sms_daily"

    assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1)).outcome == Status.FAILED
    message.refresh_from_db()
    assert (message.status, message.reason) == (Status.FAILED, "provider_rejected")
    assert "inválido" in message.reason_detail
    assert message.segments == 1 and message.cost_clp == 0  # refused, so not billed
    assert message.status not in COUNTED_STATUSES
    outcome = api.explain(cliente, "campaign", channel="sms", now=later)
    assert outcome.status == "queued" and outcome.reason == ""
    assert deliver(message.pk, now=later).outcome == "not_claimed"
    assert len(sends(redvoiss)) == 1


def test_a_401_pauses_the_channel_with_an_error_and_no_retry_storm(redvoiss, settings, caplog):
    settings.CHANNEL_PAUSE_SECONDS = 900
    redvoiss.post(f"{URL}/send", status=401)
    first, second = reminder(), reminder()
    now = TUESDAY_11 + datetime.timedelta(seconds=1)
    with caplog.at_level(logging.ERROR):
        assert deliver(first.pk, now=now).outcome == "paused"
    assert any(r.levelno == logging.ERROR and "misconfigured" in r.getMessage() for r in caplog.records)
    assert channel_paused("sms")
    assert deliver(second.pk, now=now).outcome == "paused"
    assert len(sends(redvoiss)) == 1  # the second message never reached the provider
    for message in (first, second):
        message.refresh_from_db()
        # Held (not failed, not retried per message) until the pause ends; attempts not spent.
        assert message.status == Status.SENDING and message.attempts == 0
        assert message.lease_until == now + datetime.timedelta(seconds=900)
        assert deliver(message.pk, now=now + datetime.timedelta(seconds=60)).outcome == "not_claimed"
    assert len(sends(redvoiss)) == 1


def test_marketing_goes_with_reply_commercial_and_the_opt_out_line_and_records_its_cost(redvoiss, settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    redvoiss.post(f"{URL}/sendWithReply", json={"batchId": "B7"})
    cliente = ClienteFactory(nombre="Sofía Pérez")
    message = campaign_sms(cliente)
    assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1)).outcome == Status.SENT
    payload = json.loads(sends(redvoiss)[0].request.body)
    assert payload["isCommercial"] is True
    assert payload["message_details"][0]["destination"] == cliente.telefono
    assert payload["message"] == "Hola Sofia, 20% en tinas esta semana.\nPara no recibir mensajes, responde BAJA"
    message.refresh_from_db()
    assert (message.body, message.encoding, message.segments, message.cost_clp) == (
        payload["message"],
        "GSM-7",
        1,
        12,
    )
    assert message.provider == "redvoiss" and message.provider_batch_id == "B7"


def test_transactional_sms_go_without_reply_and_not_commercial(redvoiss):
    redvoiss.post(f"{URL}/send", json={"batchId": 1})
    message = reminder()
    deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1))
    payload = json.loads(sends(redvoiss)[0].request.body)
    assert payload["isCommercial"] is False and "BAJA" not in payload["message"]


def test_a_marketing_sms_over_the_segment_limit_is_refused_without_calling_the_provider(redvoiss, settings):
    settings.SMS_MAX_SEGMENTS = 1
    message = campaign_sms(ClienteFactory(), text="Hola {{ nombre }}. " + "Tinas calientes. " * 12)
    assert deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1)).outcome == Status.FAILED
    message.refresh_from_db()
    assert message.reason == "template_error" and "segmentos" in message.reason_detail
    assert message.segments > 1
    assert sends(redvoiss) == []


def test_a_refused_connection_is_retried_later(redvoiss):
    refused = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    redvoiss.post(f"{URL}/send", body=requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, URL, refused)))
    message = reminder()
    result = deliver(message.pk, now=TUESDAY_11 + datetime.timedelta(seconds=1))
    assert result.outcome == "retry" and result.retry_in > 0
