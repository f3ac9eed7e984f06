"""The real pipeline (gate -> delivery -> Django's SMTP backend) against a real SMTP server on loopback."""

import pytest

from communications import api, links
from communications.bounces import record_bounce
from communications.channels.email_compose import sender_domain
from communications.delivery import deliver
from communications.models import ClientPreferences, DeliveryEvent, Message
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, send_email

pytestmark = pytest.mark.django_db


def test_a_marketing_email_reaches_the_smtp_server_with_both_parts_and_one_click_headers(smtp_server, settings):
    cliente = ClienteFactory(nombre="Ignacio Soto", email="ignacio@example.cl")
    outcome = api.send(cliente, "welcome_1", now=OPEN_HOURS)
    assert outcome.message.status == "queued"

    result = deliver(outcome.message.pk, now=OPEN_HOURS)

    assert result.outcome == "sent"
    [received] = smtp_server.parsed()
    assert smtp_server.envelopes[0][1] == ["ignacio@example.cl"]
    assert received["To"] == "ignacio@example.cl"
    assert received["Subject"] == "Bienvenida a Aremko Spa"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_url, mailto = [part.strip(" <>") for part in received["List-Unsubscribe"].split(",")]
    assert https_url.startswith(f"{settings.SITE_URL}/c/baja/") and https_url.endswith("/un-clic/")
    assert mailto.startswith(f"mailto:{settings.UNSUBSCRIBE_MAILTO}")

    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert received.get_content_type() == "multipart/alternative"
    assert "Hola Ignacio:" in text and "Hola Ignacio:" in html
    unsubscribe_url = links.find_links(text)[-1]
    assert unsubscribe_url.startswith(f"{settings.SITE_URL}/c/baja/")
    assert f'href="{unsubscribe_url}"' in html
    assert settings.COMPANY_ADDRESS in text and settings.COMPANY_ADDRESS in html

    message = Message.objects.get(pk=outcome.message.pk)
    assert message.status == "sent"
    assert message.provider_message_id == received["Message-ID"]
    assert message.provider_message_id.endswith(f"@{sender_domain()}>")
    assert message.body == text.replace("\r\n", "\n")


def test_the_unsubscribe_link_from_the_received_email_opens_the_confirmation_page(smtp_server, client):
    send_email(ClienteFactory(), "welcome_1")
    text = smtp_server.parsed()[0].get_body(preferencelist=("plain",)).get_content()
    path = links.find_links(text)[-1].removeprefix("http://testserver")

    response = client.get(path)

    assert response.status_code == 200
    assert "Confirmar baja" in response.content.decode()


def test_an_unknown_mailbox_fails_the_message_and_marks_the_address_undeliverable(smtp_server):
    cliente = ClienteFactory(email="nadie@example.cl")
    smtp_server.refuse["nadie@example.cl"] = "550 5.1.1 <nadie@example.cl>: Recipient address rejected: User unknown"

    message = send_email(cliente, "welcome_1")

    assert message.status == "failed"
    assert message.reason == "email_undeliverable"
    assert "5.1.1" in message.reason_detail
    assert "nadie@example.cl" not in message.reason_detail
    assert ClientPreferences.objects.get(cliente=cliente).email_undeliverable == "nadie@example.cl"
    assert DeliveryEvent.objects.filter(message=message, normalized="hard").count() == 1
    assert smtp_server.received == []


def test_after_a_hard_bounce_the_policy_blocks_the_address_until_it_changes(smtp_server):
    cliente = ClienteFactory(email="nadie@example.cl")
    smtp_server.refuse["nadie@example.cl"] = "550 5.1.1 User unknown"
    send_email(cliente, "welcome_1")

    blocked = send_email(cliente, "satisfaction_followup", context={"servicio": "Tina"})
    assert (blocked.status, blocked.reason) == ("blocked", "email_undeliverable")

    cliente.email = "nueva@example.cl"
    cliente.save()
    sent = send_email(cliente, "satisfaction_followup", context={"servicio": "Tina"})
    assert sent.status == "sent"
    assert smtp_server.envelopes[-1][1] == ["nueva@example.cl"]


def test_a_full_mailbox_is_retried_not_failed(smtp_server):
    cliente = ClienteFactory(email="llena@example.cl")
    smtp_server.refuse["llena@example.cl"] = "452 4.2.2 Mailbox full"
    outcome = api.send(cliente, "satisfaction_followup", context={"servicio": "Tina"}, now=OPEN_HOURS)

    result = deliver(outcome.message.pk, now=OPEN_HOURS)

    assert result.outcome == "retry"
    outcome.message.refresh_from_db()
    assert outcome.message.status == "sending"
    assert not ClientPreferences.objects.filter(cliente=cliente, email_undeliverable__gt="").exists()


def test_content_refused_as_spam_fails_the_message_without_blaming_the_address(smtp_server):
    cliente = ClienteFactory()
    smtp_server.data_reply = "554 5.7.1 Message rejected as spam"

    message = send_email(cliente, "welcome_1")

    assert (message.status, message.reason) == ("failed", "provider_rejected")
    assert "5.7.1" in message.reason_detail
    assert not ClientPreferences.objects.filter(cliente=cliente, email_undeliverable__gt="").exists()


def test_a_server_that_is_down_means_retry_later(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    outcome = api.send(ClienteFactory(), "satisfaction_followup", context={"servicio": "Tina"}, now=OPEN_HOURS)

    assert deliver(outcome.message.pk, now=OPEN_HOURS).outcome == "retry"


def test_the_providers_later_report_of_the_same_bounce_is_not_stored_twice(smtp_server):
    cliente = ClienteFactory(email="nadie@example.cl")
    smtp_server.refuse["nadie@example.cl"] = "550 5.1.1 User unknown"
    message = send_email(cliente, "welcome_1")

    assert not record_bounce(message, "hard", {"dsn": "5.1.1"}, event_id="dsn-7", provider="webhook").recorded
    assert DeliveryEvent.objects.count() == 1


def test_a_misconfigured_backend_pauses_the_channel_instead_of_crashing(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True
    outcome = api.send(ClienteFactory(), "satisfaction_followup", context={"servicio": "Tina"}, now=OPEN_HOURS)

    assert deliver(outcome.message.pk, now=OPEN_HOURS).outcome == "paused"
