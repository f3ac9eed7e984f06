"""The preference centre: channels x categories, one ConsentEvent per real change, none for none."""

import pytest
from django.test import Client

from communications import api, tokens
from communications.models import ClientPreferences, ConsentEvent
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, send_email

pytestmark = pytest.mark.django_db

EVERYTHING = {k: "on" for k in ("email_service", "email_marketing", "sms_service", "sms_marketing", "sms_birthday")}


@pytest.fixture
def sent():
    return send_email(ClienteFactory(), "satisfaction_followup", context={"servicio": "Tina"})


def path(message):
    return f"/c/preferencias/{tokens.make(tokens.PREFERENCES, message.public_id)}/"


def prefs(cliente):
    return ClientPreferences.objects.get_or_create(cliente=cliente)[0]


def test_the_page_shows_every_choice_checked_for_a_new_client_and_changes_nothing(client, sent):
    response = client.get(path(sent))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Qué mensajes quieres recibir" in page
    assert page.count(" checked") == 5
    assert not ConsentEvent.objects.exists()


def test_saving_without_changes_writes_no_event(client, sent):
    response = client.post(path(sent), EVERYTHING)
    assert "Guardamos tus preferencias" in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_unchecking_sms_promotions_writes_one_event_from_the_preference_centre(client, sent):
    client.post(path(sent), {**EVERYTHING, "sms_marketing": ""})
    event = ConsentEvent.objects.get()
    assert (event.channel, event.scope, event.granted, event.source) == ("sms", "marketing", False, "preference_center")
    assert not prefs(sent.cliente).accepts_marketing_sms
    assert prefs(sent.cliente).accepts_marketing_email


def test_unchecking_every_email_stops_the_channel_and_cancels_queued_email(client, sent):
    queued = api.send(sent.cliente, "satisfaction_followup", context={"servicio": "Masaje"}, now=OPEN_HOURS).message
    client.post(path(sent), {**EVERYTHING, "email_service": "", "email_marketing": ""})
    p = prefs(sent.cliente)
    assert not p.accepts_email and not p.accepts_marketing_email
    assert p.accepts_sms
    queued.refresh_from_db()
    assert (queued.status, queued.reason) == ("cancelled", "opted_out")
    assert ConsentEvent.objects.count() == 2


def test_turning_email_promotions_back_on_after_a_global_opt_out_keeps_sms_promotions_off(client, sent):
    api.opt_out(sent.cliente, channel="all", scope="marketing")
    before = ConsentEvent.objects.count()

    client.post(path(sent), {**EVERYTHING, "sms_marketing": ""})

    p = prefs(sent.cliente)
    assert p.accepts_promotional and p.accepts_marketing_email
    assert not p.accepts_marketing_sms
    new = ConsentEvent.objects.order_by("id")[before:]
    assert [(e.channel, e.scope, e.granted) for e in new] == [("all", "marketing", True), ("sms", "marketing", False)]
    page = client.get(path(sent)).content.decode()
    assert page.count(" checked") == 4


def test_the_preference_form_needs_its_csrf_token(sent):
    response = Client(enforce_csrf_checks=True).post(path(sent), {})
    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()


def test_unticking_a_channels_booking_notices_shows_its_other_boxes_unticked(client, sent):
    wanted = {k: v for k, v in EVERYTHING.items() if k != "email_service"}
    page = client.post(path(sent), wanted).content.decode()
    email_part = page.split("Por correo")[1].split("Por SMS")[0]
    assert " checked" not in email_part  # nothing goes by email now: no box there says otherwise
    assert page.split("Por SMS")[1].count(" checked") == 3


def test_re_ticking_the_notices_does_not_revive_promotions_left_unticked(client, sent):
    client.post(path(sent), {k: v for k, v in EVERYTHING.items() if k != "email_service"})
    client.post(path(sent), {k: v for k, v in EVERYTHING.items() if k != "email_marketing"})
    p = prefs(sent.cliente)
    assert p.accepts_email and not (p.accepts_promotional and p.accepts_marketing_email)


def test_the_unsubscribe_pages_speak_to_anyone_and_promise_only_what_email_carries(client, sent):
    from communications import links

    marketing = send_email(ClienteFactory(), "welcome_1")
    url = links.unsubscribe_url(marketing)
    done = client.post(url).content.decode()
    assert "confirmaciones y encuestas de satisfacción" in done and "recordatorios" not in done
    again = client.get(url).content.decode()
    assert "dado de baja" not in done + again
