"""End to end: a real Celery worker on Redis sends through the real RedvoissService to the
fake Redvoiss; the status becomes delivered; an injected "baja" reply opts the client out;
the next marketing SMS to that client is blocked as opted_out.
"""

import datetime
import time

import holidays
import pytest

from communications import api, tasks
from communications.models import ClientPreferences, ConsentEvent, Message, Status
from ventas.tests.factories import ClienteFactory

SANTIAGO = datetime.timezone(datetime.timedelta(hours=-3))


def open_slot_before_now() -> datetime.datetime:
    """A past weekday 11:00 in Santiago (outside quiet hours), so marketing goes out at once whatever the time."""
    day = datetime.datetime.now(SANTIAGO).date() - datetime.timedelta(days=1)
    while day.weekday() > 4 or day in holidays.Chile():
        day -= datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(11, 0), tzinfo=SANTIAGO)


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(message_id) -> str:
    return Message.objects.values_list("status", flat=True).get(pk=message_id)


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_sms_goes_out_is_delivered_and_a_baja_reply_opts_the_client_out(
    redvoiss_settings, fake_redvoiss, celery_worker_on_redis
):
    slot = open_slot_before_now()
    cliente = ClienteFactory(nombre="Ana Rojas", telefono="+56987650001")
    outcome = api.send(
        cliente, "campaign", channel="sms", key="e2e:1", custom_text="Hola {{ nombre }}, 20% en tinas.", now=slot
    )
    assert outcome.status == "queued"
    message_id = outcome.message.pk

    # The gate enqueued it on commit; the worker claims it and calls the fake provider.
    wait_for(lambda: status_of(message_id) == Status.SENT, what="sent")
    message = Message.objects.get(pk=message_id)
    assert message.provider == "redvoiss" and message.provider_batch_id
    assert (message.segments, message.cost_clp) == (1, 12)
    (batch,) = fake_redvoiss.batches.values()
    assert batch.with_reply and batch.commercial and batch.message.endswith("responde BAJA")

    # Statuses progress at the fake (0.3 s steps); the beat task polls them through the worker.
    time.sleep(0.7)
    tasks.poll_sms_status.delay()
    wait_for(lambda: status_of(message_id) == Status.DELIVERED, what="delivered")

    fake_redvoiss.inject_reply(cliente.telefono, "baja")
    tasks.poll_sms_replies.delay()
    wait_for(lambda: ClientPreferences.objects.filter(cliente=cliente, accepts_sms=False).exists(), what="opt-out")
    assert ConsentEvent.objects.get(cliente=cliente).source == "sms_keyword"

    blocked = api.send(cliente, "campaign", channel="sms", key="e2e:2", custom_text="Otra promo", now=slot)
    assert (blocked.status, blocked.reason) == ("blocked", "opted_out")
    assert len(fake_redvoiss.batches) == 1  # nothing more reached the provider


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_provider_hiccup_is_retried_by_the_worker_and_sent_once(
    redvoiss_settings, fake_redvoiss, celery_worker_on_redis
):
    redvoiss_settings.MESSAGE_RETRY_BASE_SECONDS = 1
    fake_redvoiss.set(fail_429=2)
    cliente = ClienteFactory(nombre="Ana Rojas", telefono="+56987650002")
    context = {"fecha": "12/03", "hora": "18:30", "servicio": "Tina"}
    outcome = api.send(cliente, "appointment_reminder", key="e2e:3", context=context)
    wait_for(lambda: status_of(outcome.message.pk) == Status.SENT, timeout=30, what="sent after retries")
    assert Message.objects.get(pk=outcome.message.pk).attempts == 3
    assert len(fake_redvoiss.batches) == 1
