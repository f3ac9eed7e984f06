"""Bad input is blocked with a reason and never crashes: no email, invalid email, broken template."""

import pytest
from django.core import mail

from communications import api
from communications.delivery import deliver
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, put_template, send_email

pytestmark = pytest.mark.django_db


def test_a_client_without_email_is_blocked_with_no_email():
    message = send_email(ClienteFactory(email=""), "welcome_1")
    assert (message.status, message.reason) == ("blocked", "no_email")
    assert mail.outbox == []


def test_an_invalid_address_is_blocked_with_invalid_email():
    message = send_email(ClienteFactory(email="ana@@example"), "welcome_1")
    assert (message.status, message.reason) == ("blocked", "invalid_email")
    assert mail.outbox == []


def test_a_template_with_an_unknown_variable_is_blocked_with_template_error():
    put_template(kind="welcome_1", channel="email", subject="Hola", body="Hola {{ apellido }}")
    message = send_email(ClienteFactory(), "welcome_1")
    assert (message.status, message.reason) == ("blocked", "template_error")
    assert mail.outbox == []


def test_a_template_with_broken_syntax_is_blocked_with_template_error():
    put_template(kind="welcome_1", channel="email", subject="Hola", body="Hola {% if %}")
    message = send_email(ClienteFactory(), "welcome_1")
    assert (message.status, message.reason) == ("blocked", "template_error")


def test_an_address_that_changed_to_something_invalid_after_queueing_is_blocked_at_send_time():
    cliente = ClienteFactory()
    outcome = api.send(cliente, "welcome_1", now=OPEN_HOURS)
    cliente.email = "sin-arroba"
    cliente.save()
    assert deliver(outcome.message.pk, now=OPEN_HOURS).outcome == "blocked"
    outcome.message.refresh_from_db()
    assert outcome.message.reason == "invalid_email"
