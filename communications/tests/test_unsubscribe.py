"""Unsubscribe page and RFC 8058 one-click: GET shows, POST acts once, queued marketing is cancelled."""

import pytest
from django.test import Client

from communications import api, tokens
from communications.models import ClientPreferences, ConsentEvent, Message
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    return send_email(ClienteFactory(), "welcome_1")


def unsubscribe_path(message, one_click=False):
    token = tokens.make(tokens.UNSUBSCRIBE, message.public_id)
    return f"/c/baja/{token}/" + ("un-clic/" if one_click else "")


def accepts_marketing_email(cliente) -> bool:
    prefs = ClientPreferences.objects.filter(cliente=cliente).first()
    return prefs is None or prefs.accepts_marketing_email


def test_opening_the_unsubscribe_link_only_shows_a_spanish_confirmation(client, sent):
    response = client.get(unsubscribe_path(sent))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "¿Quieres dejar de recibir nuestras promociones por correo?" in page
    assert accepts_marketing_email(sent.cliente)
    assert not ConsentEvent.objects.exists()
    assert response["Cache-Control"] == "no-store"


def test_a_get_of_the_one_click_url_changes_nothing(client, sent):
    response = client.get(unsubscribe_path(sent, one_click=True))
    assert response.status_code == 200
    assert accepts_marketing_email(sent.cliente)
    assert not ConsentEvent.objects.exists()


def test_confirming_on_the_page_unsubscribes_from_marketing_email_and_records_the_link():
    browser = Client(enforce_csrf_checks=True)
    sent = send_email(ClienteFactory(), "welcome_1")
    page = browser.get(unsubscribe_path(sent))
    csrf = page.cookies["csrftoken"].value

    response = browser.post(unsubscribe_path(sent), {"csrfmiddlewaretoken": csrf})

    assert response.status_code == 200
    assert "Listo, te diste de baja" in response.content.decode()
    assert not accepts_marketing_email(sent.cliente)
    event = ConsentEvent.objects.get()
    assert (event.channel, event.scope, event.granted) == ("email", "marketing", False)
    assert event.source == "unsubscribe_link"
    assert event.evidence["message"] == str(sent.public_id)


def test_the_confirmation_form_needs_its_csrf_token():
    sent = send_email(ClienteFactory(), "welcome_1")
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path(sent))
    assert response.status_code == 403
    assert accepts_marketing_email(sent.cliente)


def test_a_cookieless_one_click_post_unsubscribes_at_once():
    sent = send_email(ClienteFactory(), "welcome_1")
    mailbox_provider = Client(enforce_csrf_checks=True)

    response = mailbox_provider.post(
        unsubscribe_path(sent, one_click=True),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not accepts_marketing_email(sent.cliente)
    event = ConsentEvent.objects.get()
    assert (event.source, event.evidence["one_click"]) == ("one_click", True)


def test_repeated_one_click_posts_answer_200_and_leave_one_consent_event(client, sent):
    for _ in range(3):
        response = client.post(unsubscribe_path(sent, one_click=True), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    assert ConsentEvent.objects.count() == 1
    assert "Ya no recibías correos promocionales" in response.content.decode()


def test_unsubscribing_cancels_queued_marketing_email_but_keeps_booking_messages(client):
    cliente = ClienteFactory()
    sent = send_email(cliente, "welcome_1")
    later = api.send(cliente, "reactivation_email", now=OPEN_HOURS).message
    booking = api.send(cliente, "satisfaction_followup", context={"servicio": "Tina"}, now=OPEN_HOURS).message
    assert later.status == "scheduled"  # the weekly email cap defers it

    client.post(unsubscribe_path(sent, one_click=True))

    later.refresh_from_db()
    booking.refresh_from_db()
    assert (later.status, later.reason) == ("cancelled", "opted_out")
    assert booking.status == "queued"


def test_unsubscribing_from_email_does_not_silence_booking_sms(client, sent):
    client.post(unsubscribe_path(sent, one_click=True))
    prefs = ClientPreferences.objects.get(cliente=sent.cliente)
    assert prefs.accepts_sms and prefs.accepts_marketing_sms and prefs.accepts_email


def test_a_client_already_unsubscribed_sees_so_on_the_page(client, sent):
    api.opt_out(sent.cliente, channel="email", scope="marketing")
    response = client.get(unsubscribe_path(sent))
    assert "Listo, ya no recibirás nuestras promociones por correo" in response.content.decode()


def test_a_message_that_no_longer_exists_answers_a_friendly_404(client, sent):
    path = unsubscribe_path(sent)
    Message.objects.filter(pk=sent.pk).delete()
    response = client.get(path)
    assert response.status_code == 404
    assert "No encontramos este mensaje" in response.content.decode()
