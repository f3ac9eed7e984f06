"""Replies: opt-out keywords withdraw SMS consent once; every other reply is a response."""

import datetime
from collections import defaultdict

import pytest
import responses
import time_machine

from communications import api
from communications.channels.sms.keywords import OPT_IN, OPT_OUT, classify_reply
from communications.feedback.replies import count_to_review, poll_replies
from communications.models import ClientPreferences, ConsentEvent, DeliveryEvent, Message, SmsReply, Status
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


@pytest.mark.parametrize("text", ["no puedo bajar hoy", "bajar", "Gracias", "", None])
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
def test_transactional_batches_are_not_asked_for_replies_when_sent_without_reply(http, settings):
    settings.SMS_TRANSACTIONAL_REPLY_CAPABLE = False
    sent_sms(http, ClienteFactory(), 80, kind="appointment_reminder")
    assert poll_replies(LATER) == {}


# --- Finding H1 (lifecycle): opt-out in the client's own words -------------------------


@pytest.mark.django_db
def test_baja_por_favor_de_baja_and_no_mas_mensajes_each_stop_marketing_sms(http):
    """H1: three clients answer a campaign SMS in their own words; none of them gets marketing SMS again."""
    answers = {50_1: "Baja por favor", 50_2: "de baja", 50_3: "No más mensajes"}
    clients = {}
    for batch, text in answers.items():
        cliente = ClienteFactory()
        sent_sms(http, cliente, batch)
        replies(http, batch, {"destination": cliente.telefono, "message": text})
        clients[batch] = cliente

    assert poll_replies(LATER) == {"batches": 3, "opted_out": 3}

    for cliente in clients.values():
        assert prefs(cliente).accepts_sms is False
        assert ConsentEvent.objects.filter(cliente=cliente, granted=False, source="sms_keyword").count() == 1
        outcome = api.explain(cliente, "campaign", "sms", now=LATER, custom_text="Hola")
        assert (outcome.status, outcome.reason) == ("blocked", "opted_out")
    inbox = SmsReply.objects.filter(kind=SmsReply.Kind.OPT_OUT, needs_review=False)
    assert sorted(inbox.values_list("text", flat=True)) == sorted(answers.values())
    assert all(reply.consent_event_id for reply in inbox)


@pytest.mark.django_db
def test_a_long_reply_that_merely_mentions_baja_waits_for_staff_and_changes_no_consent(http):
    cliente = ClienteFactory()
    message = sent_sms(http, cliente, 90)
    text = "Hola, ¿en temporada baja tienen precios especiales para cabañas?"
    replies(http, 90, {"destination": cliente.telefono, "message": text, "id": 3})

    assert poll_replies(LATER) == {"batches": 1, "to_review": 1}

    assert prefs_or_default_accepts_sms(cliente)
    reply = SmsReply.objects.get()
    assert (reply.cliente, reply.message, reply.text, reply.kind) == (cliente, message, text, SmsReply.Kind.REVIEW)
    assert reply.needs_review and count_to_review() == 1


@pytest.mark.django_db
def test_every_reply_that_is_not_a_keyword_lands_in_the_inbox_to_review(http):
    """S-H5: "¡Gracias! ¿Tienen hora el sábado?" is a booking request staff must see, not raw JSON."""
    cliente = ClienteFactory()
    message = sent_sms(http, cliente, 91)
    replies(http, 91, {"destination": cliente.telefono, "message": "¡Gracias! ¿Tienen hora el sábado?"})
    poll_replies(LATER)
    reply = SmsReply.objects.get()
    assert (reply.cliente, reply.message, reply.kind, reply.received_at) == (
        cliente,
        message,
        SmsReply.Kind.CONVERSATION,
        LATER,
    )
    assert reply.needs_review and count_to_review() == 1


@pytest.mark.django_db
def test_a_reply_from_an_unknown_number_waits_in_the_inbox_with_its_number(http):
    sent_sms(http, ClienteFactory(), 92)
    replies(http, 92, {"destination": "+56911112222", "message": "BAJA"})
    poll_replies(LATER)
    reply = SmsReply.objects.get()
    assert (reply.cliente, reply.phone, reply.needs_review) == (None, "+56911112222", True)


# --- Finding L1 (lifecycle): the reply window --------------------------------------------


@pytest.mark.django_db
def test_a_baja_answered_six_days_after_the_send_is_read(http, settings):
    settings.SMS_REPLY_POLL_HOURS = 168
    cliente = ClienteFactory()
    sent_sms(http, cliente, 93)
    replies(http, 93, {"destination": cliente.telefono, "message": "BAJA"})
    # L1: the window used to end at 72 h; a week is how long clients answer.
    assert poll_replies(TUESDAY_11 + datetime.timedelta(days=6))["opted_out"] == 1
    assert prefs(cliente).accepts_sms is False


def test_the_reply_window_defaults_to_seven_days():
    from django.conf import settings

    assert settings.SMS_REPLY_POLL_HOURS == 168 and settings.SMS_TRANSACTIONAL_REPLY_CAPABLE is True


@pytest.mark.django_db
def test_an_old_batch_in_the_window_is_asked_again_on_the_next_minute(http):
    cliente = ClienteFactory()
    sent_sms(http, cliente, 94)
    two_days = TUESDAY_11 + datetime.timedelta(days=2)
    replies(http, 94, {"destination": cliente.telefono, "message": "Gracias", "id": 1})
    with time_machine.travel(two_days, tick=False) as clock:  # the throttle lives in the cache (real time)
        poll_replies(two_days)
        replies(http, 94, {"destination": cliente.telefono, "message": "baja", "id": 2})
        clock.shift(60)
        assert poll_replies(two_days + datetime.timedelta(seconds=60))["opted_out"] == 1


@pytest.mark.django_db
def test_a_baja_answered_to_a_reminder_is_read(http):
    cliente = ClienteFactory()
    sent = sent_sms(http, cliente, 95, kind="appointment_reminder")
    assert http.calls[-1].request.url.endswith("/sendWithReply")
    replies(http, 95, {"destination": cliente.telefono, "message": "BAJA"})
    assert poll_replies(LATER)["opted_out"] == 1
    assert ConsentEvent.objects.get(cliente=cliente).message_id == sent.pk


@pytest.mark.django_db
def test_an_unknown_send_confirmed_delivered_gets_a_sent_at_and_its_replies_are_read(http):
    from communications.feedback.replies import rows_to_poll
    from communications.feedback.status import apply_statuses

    cliente = ClienteFactory()
    message = sent_sms(http, cliente, 96)
    Message.objects.filter(pk=message.pk).update(
        status=Status.UNKNOWN, sent_at=None, provider_call_started_at=TUESDAY_11
    )
    much_later = TUESDAY_11 + datetime.timedelta(days=2)
    apply_statuses({message.pk: ("delivered", "RECIBIDO")}, much_later, defaultdict(int))

    message.refresh_from_db()
    assert (message.status, message.sent_at, message.delivered_at) == (Status.DELIVERED, TUESDAY_11, much_later)
    assert message.pk in [row[0] for row in rows_to_poll(much_later, 100)]
