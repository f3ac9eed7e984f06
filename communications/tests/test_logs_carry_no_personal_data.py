"""A full send cycle, every logger at DEBUG: no phone number, email address or message text in the logs."""

import json
import logging
import time

import pytest

from communications import api, delivery
from communications.feedback.replies import poll_replies
from communications.feedback.status import poll_status
from communications.models import ClientPreferences
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, send_email

pytestmark = pytest.mark.django_db

PHONE, EMAIL, NAME = "+56987651234", "privada.persona@example.cl", "Fernanda Quilodrán"
SECRET_TEXT = "Oferta exclusiva tina luna llena"


def forms():
    national = PHONE.removeprefix("+56")
    return [PHONE, national, PHONE.removeprefix("+"), EMAIL, NAME, "Fernanda", "Quilodrán", SECRET_TEXT]


def test_a_full_cycle_logs_ids_and_reasons_only(redvoiss_settings, fake_redvoiss, client, settings, caplog):
    settings.EMAIL_WEBHOOK_SECRET = "s3cret"
    caplog.set_level(logging.DEBUG)
    cliente = ClienteFactory(nombre=NAME, telefono=PHONE, email=EMAIL)

    sms = api.send(
        cliente, "campaign", channel="sms", custom_text=f"Hola {{{{ nombre }}}}. {SECRET_TEXT}", now=OPEN_HOURS
    )
    delivery.deliver(sms.message.pk, now=OPEN_HOURS)
    time.sleep(0.7)  # the fake provider moves statuses in 0.3 s steps
    poll_status(now=OPEN_HOURS)
    fake_redvoiss.inject_reply(PHONE, f"Hola soy {NAME}, mi correo es {EMAIL}")
    fake_redvoiss.inject_reply(PHONE, "BAJA")
    poll_replies(now=OPEN_HOURS)
    assert ClientPreferences.objects.get(cliente=cliente).accepts_sms is False

    mail = send_email(cliente, "manual", custom_text=f"Hola {{{{ nombre }}}}. {SECRET_TEXT}", subject=SECRET_TEXT)
    client.post(
        "/c/webhooks/email/",
        json.dumps({"type": "hard_bounce", "message": str(mail.public_id), "email": EMAIL}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer s3cret",
    )

    assert len(caplog.records) > 10  # the cycle did log: ids, statuses, timings
    assert leaks(caplog.records) == []


def leaks(records):
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    return [form for form in forms() if form in text]


def test_negative_control_the_scan_finds_a_number_that_was_logged(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("communications.delivery").info("sent to %s", PHONE.removeprefix("+56"))
    assert leaks(caplog.records) == [PHONE.removeprefix("+56")]
