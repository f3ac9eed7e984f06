"""Replies: opt-out keywords withdraw SMS consent once; every other reply is a response."""

import datetime

import pytest
import responses

from communications import api
from communications.channels.sms.keywords import OPT_IN, OPT_OUT, classify_reply
from communications.feedback.replies import poll_replies
from communications.models import ClientPreferences, ConsentEvent, DeliveryEvent, Message, Status
from ventas.models import CampaignInteraction
from ventas.tests.factories import CampaignFactory, ClienteFactory

from .sms_helpers import TUESDAY_11, URL, sent_sms, use_redvoiss

LATER = TUESDAY_11 + datetime.timedelta(minutes=5)


@pytest.mark.parametrize("text", ["BAJA", "baja", " Baja. ", "STOP", "stop!", "Salir", "DETENER", "Cancelar", "bája"])
def test_a_single_opt_out_word_is_an_opt_out(text):
    assert classify_reply(text) == OPT_OUT


@pytest.mark.parametrize("text", ["ALTA", "alta", "Start"])
def test_alta_and_start_opt_back_in(text):
    assert classify_reply(text) == OPT_IN


@pytest.mark.parametrize(
    "text", ["no puedo bajar hoy", "baja por favor no", "bajar", "Gracias", "", None, "¿Baja? no, ¡alta!"]
)
def test_anything_else_is_an_ordinary_reply(text):
    assert classify_reply(text) == ""


@pytest.fixture
def http(settings):
    use_redvoiss(settings)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def replies(http, batch_id, *items):
    http.get(f"{URL}/batch/{batch_id}/replies", json={"messageReplyList": list(items)})


def prefs(cliente):
    return ClientPreferences.objects.get(cliente=cliente)


@pytest.mark.django_db
def test_baja_opts_the_client_out_of_sms_and_cancels_queued_marketing(http):
    cliente = ClienteFactory()
    message = sent_sms(http, cliente, 10)
    queued = api.send(cliente, "campaign", channel="sms", key="next", custom_text="Otra", now=TUESDAY_11).message
    replies(http, 10, {"destination": cliente.telefono, "message": "Baja", "id": 1})
    assert poll_replies(LATER) == {"batches": 1, "opted_out": 1}

    assert prefs(cliente).accepts_sms is False
    consent = ConsentEvent.objects.get(cliente=cliente)
    assert (consent.channel, consent.granted, consent.source) == ("sms", False, "sms_keyword")
    assert consent.evidence["message_id"] == message.pk and consent.evidence["keyword"] == "baja"
    assert "87654321"[-6:] not in consent.evidence["from"]
    assert Message.objects.get(pk=queued.pk).status == Status.CANCELLED
    later = api.send(cliente, "campaign", channel="sms", key="after", custom_text="Hola", now=LATER)
    assert (later.status, later.reason) == ("blocked", "opted_out")
    assert CampaignInteraction.objects.filter(cliente=cliente, interaction_type="opted_out").count() == 1


@pytest.mark.django_db
def test_a_reply_seen_by_two_polls_acts_once(http):
    cliente = ClienteFactory()
    sent_sms(http, cliente, 20)
    replies(http, 20, {"phone": cliente.telefono, "text": "STOP"})
    poll_replies(LATER)
    assert poll_replies(LATER + datetime.timedelta(minutes=1)) == {"batches": 1}
    assert ConsentEvent.objects.filter(cliente=cliente).count() == 1
    assert DeliveryEvent.objects.filter(event_type="reply").count() == 1


@pytest.mark.django_db
def test_alta_opts_the_client_back_in(http):
    cliente = ClienteFactory()
    sent_sms(http, cliente, 30)
    api.opt_out(cliente, channel="sms", source="admin")  # e.g. asked at the front desk
    replies(http, 30, {"destination": cliente.telefono, "message": "ALTA"})
    assert poll_replies(LATER)["opted_in"] == 1
    assert prefs(cliente).accepts_sms is True
    assert ConsentEvent.objects.filter(cliente=cliente, granted=True, source="sms_keyword").exists()


@pytest.mark.django_db
def test_a_conversation_is_a_response_not_an_opt_out(http):
    campaign = CampaignFactory()
    cliente = ClienteFactory()
    message = sent_sms(http, cliente, 40, campaign_id=campaign.pk)
    pending = api.send(cliente, "reactivation_sms", key="react", now=TUESDAY_11).message
    replies(http, 40, {"destination": cliente.telefono, "message": "no puedo bajar hoy", "id": 9})
    assert poll_replies(LATER)["replied"] == 1
    assert prefs_or_default_accepts_sms(cliente)
    message.refresh_from_db()
    assert message.replied_at == LATER and message.responded
    interaction = CampaignInteraction.objects.get(interaction_type="sms_replied")
    assert (interaction.cliente_id, interaction.campaign_id) == (cliente.pk, campaign.pk)
    event = DeliveryEvent.objects.get(event_type="reply")
    assert event.payload["item"]["message"] == "no puedo bajar hoy" and event.message_id == message.pk
    # The client responded: a pending reactivation SMS is no longer needed.
    assert Message.objects.get(pk=pending.pk).status == Status.CANCELLED


def prefs_or_default_accepts_sms(cliente):
    row = ClientPreferences.objects.filter(cliente=cliente).first()
    return row is None or row.accepts_sms


@pytest.mark.django_db
def test_an_empty_reply_list_changes_nothing(http):
    sent_sms(http, ClienteFactory(), 50)
    replies(http, 50)
    assert poll_replies(LATER) == {"batches": 1}
    assert DeliveryEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_reply_from_an_unknown_number_is_recorded_but_acts_on_no_one(http):
    cliente = ClienteFactory()
    sent_sms(http, cliente, 60)
    replies(http, 60, {"destination": "+56911112222", "message": "BAJA"})
    assert poll_replies(LATER)["unmatched"] == 1
    assert prefs_or_default_accepts_sms(cliente)
    assert DeliveryEvent.objects.get(event_type="reply").message is None


@pytest.mark.django_db
def test_reply_items_with_unobserved_fields_are_read_tolerantly(http):
    cliente = ClienteFactory()
    sent_sms(http, cliente, 65)
    replies(http, 65, {"msisdn": cliente.telefono.lstrip("+"), "respuesta": "Salir", "fecha": "2026-03-10"})
    assert poll_replies(LATER)["opted_out"] == 1


@pytest.mark.django_db
def test_a_malformed_reply_answer_is_recorded_and_the_next_batch_still_read(http):
    broken, fine = ClienteFactory(), ClienteFactory()
    sent_sms(http, broken, 70)
    sent_sms(http, fine, 71)
    http.get(f"{URL}/batch/70/replies", body="{not json")
    replies(http, 71, {"destination": fine.telefono, "message": "Gracias"})
    counts = poll_replies(LATER)
    assert counts["bad_answer"] == 1 and counts["replied"] == 1
    assert DeliveryEvent.objects.filter(event_type="poll_error").count() == 1


@pytest.mark.django_db
def test_only_marketing_batches_are_asked_for_replies(http):
    sent_sms(http, ClienteFactory(), 80, kind="appointment_reminder")
    assert poll_replies(LATER) == {}
