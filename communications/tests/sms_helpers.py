"""Helpers shared by the SMS feedback tests: rows that went out through Redvoiss."""

import datetime
import itertools

import responses
from django.conf import settings

from communications import api
from communications.delivery import deliver
from communications.models import Message

URL = "https://sms.example.test/services/rest"
SANTIAGO = datetime.timezone(datetime.timedelta(hours=-3))
TUESDAY_11 = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=SANTIAGO)  # open hours, not a holiday
_keys = itertools.count(1)


def use_redvoiss(settings) -> None:
    settings.SMS_BACKEND = "communications.channels.sms.backends.redvoiss.SmsBackend"
    settings.REDVOISS_API_URL = URL
    settings.REDVOISS_USERNAME = "aremko"
    settings.REDVOISS_PASSWORD = "clave"


def sent_sms(http: responses.RequestsMock, cliente, batch_id, *, kind="campaign", now=TUESDAY_11, **fields) -> Message:
    """A message sent through the (mocked) provider under ``batch_id``; returns the fresh row."""
    reply_capable = kind != "appointment_reminder" or settings.SMS_TRANSACTIONAL_REPLY_CAPABLE
    http.post(f"{URL}{'/sendWithReply' if reply_capable else '/send'}", json={"batchId": batch_id})
    defaults = {"custom_text": "Hola {{ nombre }}, 20% esta semana."} if kind == "campaign" else {}
    if kind == "appointment_reminder":
        defaults = {"context": {"fecha": "12/03", "hora": "18:30", "servicio": "Tina"}}
    outcome = api.send(cliente, kind, channel="sms", key=f"test:{next(_keys)}", now=now, **{**defaults, **fields})
    assert outcome.status == "queued", outcome.reason
    assert deliver(outcome.message.pk, now=now).outcome == "sent"
    return Message.objects.get(pk=outcome.message.pk)
