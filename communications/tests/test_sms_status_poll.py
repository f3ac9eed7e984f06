"""Delivery status: polled per batch, mapped forward only, every raw event stored once."""

import datetime
import logging

import pytest
import requests
import responses

from communications.feedback.status import poll_status
from communications.models import DeliveryEvent, Message, Status
from ventas.models import CampaignInteraction
from ventas.tests.factories import CampaignFactory, ClienteFactory

from .sms_helpers import TUESDAY_11, URL, sent_sms, use_redvoiss

pytestmark = pytest.mark.django_db
LATER = TUESDAY_11 + datetime.timedelta(minutes=5)


@pytest.fixture
def http(settings):
    use_redvoiss(settings)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def answer(http, batch_id, *items, **kwargs):
    http.get(f"{URL}/batch/{batch_id}/status", json=list(items), **kwargs)


def item(message, status, code="1"):
    return {"destination": message.destination, "status": status, "msgCod": code}


def gets(http):
    return [c for c in http.calls if c.request.method == "GET"]


def test_it_maps_provider_words_onto_message_statuses(http):
    pending, sent, received, failed = (sent_sms(http, ClienteFactory(), b) for b in (11, 12, 13, 14))
    answer(http, 11, item(pending, "PENDIENTE"))
    answer(http, 12, item(sent, "ENVIADO"))
    answer(http, 13, item(received, "RECIBIDO"))
    answer(http, 14, item(failed, "FALLIDO"))
    counts = poll_status(LATER)
    assert counts["batches"] == 4 and counts["events"] == 4
    for message in (pending, sent, received, failed):
        message.refresh_from_db()
    assert (pending.status, pending.provider_status) == (Status.SENT, "PENDIENTE")
    assert (sent.status, sent.provider_status) == (Status.SENT, "ENVIADO")
    assert (received.status, received.delivered_at) == (Status.DELIVERED, LATER)
    assert (failed.status, failed.reason, failed.failed_at) == (Status.FAILED, "provider_rejected", LATER)


def test_each_raw_event_is_stored_once_however_often_it_is_polled(http):
    message = sent_sms(http, ClienteFactory(), 21)
    answer(http, 21, item(message, "ENVIADO"))
    poll_status(LATER)
    poll_status(LATER + datetime.timedelta(minutes=1))
    events = DeliveryEvent.objects.filter(message=message, event_type="status")
    assert [(e.raw_status, e.normalized) for e in events] == [("ENVIADO", "sent")]
    assert events[0].payload["item"] == item(message, "ENVIADO")


def test_a_late_status_never_moves_a_message_backwards(http):
    message = sent_sms(http, ClienteFactory(), 31)
    answer(http, 31, item(message, "RECIBIDO"))
    poll_status(LATER)
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED
    http.replace(responses.GET, f"{URL}/batch/31/status", json=[item(message, "PENDIENTE", "2")])
    poll_status(LATER + datetime.timedelta(minutes=1))  # delivered rows are final: not even polled
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and len(gets(http)) == 1


def test_within_one_answer_the_most_advanced_status_wins(http):
    message = sent_sms(http, ClienteFactory(), 35)
    answer(http, 35, item(message, "RECIBIDO", "a"), item(message, "PENDIENTE", "b"))
    poll_status(LATER)
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED


def test_an_unknown_status_word_is_recorded_without_failing(http, caplog):
    message = sent_sms(http, ClienteFactory(), 41)
    answer(http, 41, item(message, "EN_TRANSITO_RARO"))
    counts = poll_status(LATER)
    assert counts["unknown_word"] == 1
    event = DeliveryEvent.objects.get(message=message)
    assert (event.normalized, event.raw_status) == ("unknown", "EN_TRANSITO_RARO")
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider_status == "EN_TRANSITO_RARO"


def test_an_unknown_send_with_a_batch_id_is_resolved_from_status(http):
    # A 500 that still names its batch: the SMS may have gone out, so it is "unknown"...
    from communications import api
    from communications.delivery import deliver

    http.post(f"{URL}/sendWithReply", status=500, json={"batchId": 51})
    outcome = api.send(ClienteFactory(), "campaign", channel="sms", key="u1", custom_text="Hola", now=TUESDAY_11)
    assert deliver(outcome.message.pk, now=TUESDAY_11).outcome == Status.UNKNOWN
    message = Message.objects.get(pk=outcome.message.pk)
    assert (message.status, message.provider_batch_id) == (Status.UNKNOWN, "51")
    # ...until the provider says what happened.
    answer(http, 51, item(message, "ENVIADO"))
    poll_status(LATER)
    assert Message.objects.get(pk=message.pk).status == Status.SENT
    http.replace(responses.GET, f"{URL}/batch/51/status", json=[item(message, "RECIBIDO")])
    poll_status(LATER + datetime.timedelta(minutes=1))
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED


def test_one_http_call_per_batch_and_a_bounded_number_of_queries(http, django_assert_max_num_queries):
    messages = [sent_sms(http, ClienteFactory(), 100 + i) for i in range(12)]
    for i, message in enumerate(messages):
        answer(http, 100 + i, item(message, ("RECIBIDO", "ENVIADO", "FALLIDO")[i % 3]))
    with django_assert_max_num_queries(12):  # independent of how many messages and batches
        counts = poll_status(LATER)
    assert len(gets(http)) == 12 and counts["batches"] == 12
    assert Message.objects.filter(status=Status.DELIVERED).count() == 4


def test_messages_sent_more_than_24_hours_ago_are_not_polled(http):
    sent_sms(http, ClienteFactory(), 61)
    assert poll_status(TUESDAY_11 + datetime.timedelta(hours=25)) == {}
    assert gets(http) == []


def test_old_batches_are_polled_less_often(http):
    message = sent_sms(http, ClienteFactory(), 65)
    answer(http, 65, item(message, "ENVIADO"))
    three_hours = TUESDAY_11 + datetime.timedelta(hours=3)
    assert poll_status(three_hours)["batches"] == 1
    assert poll_status(three_hours + datetime.timedelta(minutes=1)) == {"throttled": 1, "events": 0}
    assert len(gets(http)) == 1


@pytest.mark.parametrize(
    "kwargs, recorded",
    [
        ({"body": "<html>no es json"}, True),  # malformed provider JSON
        ({"json": {"unexpected": "shape"}}, True),
        ({"body": b"[" + b" " * 1_100_000 + b"]"}, True),  # oversized: not read past the cap
        ({"status": 500}, False),  # transient: next run asks again
        ({"body": requests.ReadTimeout("slow")}, False),
    ],
)
def test_bad_answers_are_recorded_and_lose_nothing(http, kwargs, recorded):
    broken, fine = sent_sms(http, ClienteFactory(), 71), sent_sms(http, ClienteFactory(), 72)
    http.get(f"{URL}/batch/71/status", **kwargs)
    answer(http, 72, item(fine, "RECIBIDO"))
    poll_status(LATER)
    assert Message.objects.get(pk=fine.pk).status == Status.DELIVERED
    assert Message.objects.get(pk=broken.pk).status == Status.SENT  # still polled next time
    assert DeliveryEvent.objects.filter(event_type="poll_error").exists() is recorded
    poll_status(LATER + datetime.timedelta(minutes=1))
    assert DeliveryEvent.objects.filter(event_type="poll_error").count() == int(recorded)


def test_refused_credentials_stop_the_poll_with_an_error(http, caplog):
    sent_sms(http, ClienteFactory(), 81)
    sent_sms(http, ClienteFactory(), 82)
    http.get(f"{URL}/batch/81/status", status=401)
    with caplog.at_level(logging.ERROR):
        counts = poll_status(LATER)
    assert counts["configuration_error"] == 1 and len(gets(http)) == 1
    assert "misconfigured" in caplog.text


def test_delivered_campaign_messages_count_as_campaign_interactions(http):
    campaign = CampaignFactory()
    message = sent_sms(http, ClienteFactory(), 91, campaign_id=campaign.pk)
    answer(http, 91, item(message, "RECIBIDO"))
    poll_status(LATER)
    poll_status(LATER + datetime.timedelta(minutes=1))
    types = list(CampaignInteraction.objects.filter(campaign=campaign).values_list("interaction_type", flat=True))
    assert sorted(types) == ["sms_delivered", "sms_sent"]


def test_the_provider_may_echo_the_number_without_prefix(http):
    message = sent_sms(http, ClienteFactory(), 95)
    answer(http, 95, {"destination": message.destination.lstrip("+"), "status": "RECIBIDO"})
    poll_status(LATER)
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED
