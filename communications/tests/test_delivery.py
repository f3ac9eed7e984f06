"""Sending one message: claim, last-moment checks, rendering, provider outcomes, the sweep."""

import datetime
import logging

import pytest
import time_machine
from django.core import mail

from communications import api, delivery
from communications.channels.errors import AmbiguousError, ConfigurationError, PermanentError, TransientError
from communications.channels.sms.backends import locmem
from communications.gate import request_message
from communications.models import Reason, Status
from communications.tasks import sweep_outbox
from communications.tests import scripted_backend
from communications.tests.helpers import local, new_client, req

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)


@pytest.fixture(autouse=True)
def clean_outboxes():
    locmem.outbox.clear()
    scripted_backend.script.clear()
    scripted_backend.calls.clear()
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def scripted(settings):
    settings.SMS_BACKEND = "communications.tests.scripted_backend.SmsBackend"
    return scripted_backend


def queued_sms(cliente=None, **fields):
    return request_message(req(cliente or new_client(), **fields), now=WED).message


def reload(message):
    message.refresh_from_db()
    return message


def test_a_queued_sms_is_rendered_sent_and_recorded():
    ana = new_client(nombre="Ana Pérez")
    message = queued_sms(ana)
    assert delivery.deliver(message.pk, now=WED).outcome == Status.SENT
    sent = locmem.outbox[-1]
    assert sent.to == ana.telefono
    assert sent.body.startswith("Hola Ana, novedades en Aremko Spa.")
    assert sent.body.endswith("Para no recibir mensajes, responde BAJA")  # marketing: opt-out line, transliterated
    assert sent.commercial and sent.allow_reply and sent.reference == str(message.pk)
    row = reload(message)
    assert (row.status, row.attempts, row.segments, row.encoding, row.cost_clp) == ("sent", 1, 1, "GSM-7", 12)
    assert row.body == sent.body and row.sent_at == WED


def test_transactional_sms_carry_no_opt_out_line_and_are_not_commercial():
    ana = new_client()
    outcome = api.send(ana, "booking_confirmation", now=WED, context={"fecha": "26/11", "hora": "18:30"})
    delivery.deliver(outcome.message.pk, now=WED)
    assert "BAJA" not in locmem.outbox[-1].body
    assert locmem.outbox[-1].commercial is False


def test_a_message_is_claimed_once_so_a_second_delivery_sends_nothing():
    message = queued_sms()
    assert delivery.deliver(message.pk, now=WED).outcome == Status.SENT
    assert delivery.deliver(message.pk, now=WED).outcome == "not_claimed"
    assert len(locmem.outbox) == 1


def test_an_opt_out_after_enqueueing_cancels_and_sends_nothing():
    ana = new_client()
    message = queued_sms(ana)
    api.opt_out(ana, channel="sms")
    assert delivery.deliver(message.pk, now=WED).outcome == "not_claimed"
    assert (reload(message).status, reload(message).reason) == (Status.CANCELLED, Reason.OPTED_OUT)
    assert locmem.outbox == []


def test_an_opt_out_after_the_claim_is_still_caught_before_the_provider():
    ana = new_client()
    message = queued_sms(ana)
    claimed = delivery.claim(message.pk, WED)
    api.opt_out(ana, channel="sms")  # too late to cancel a row being sent...
    assert reload(message).status == Status.SENDING
    assert delivery.recheck(claimed, WED) == (Status.CANCELLED, Reason.OPTED_OUT)  # ...but the re-check sees it


def test_a_phone_removed_before_sending_blocks_with_no_phone():
    ana = new_client()
    message = queued_sms(ana)
    ana.__class__.objects.filter(pk=ana.pk).update(telefono=None)
    assert delivery.deliver(message.pk, now=WED).outcome == Status.BLOCKED
    assert reload(message).reason == Reason.NO_PHONE


def test_a_broken_template_blocks_the_message_with_a_clear_reason():
    message = queued_sms(custom_text="Hola {{ nombre_inexistente }}")
    assert delivery.deliver(message.pk, now=WED).outcome == Status.BLOCKED
    row = reload(message)
    assert (row.reason, row.reason_detail) == (
        Reason.TEMPLATE_ERROR,
        "Variable desconocida en la plantilla: {{ nombre_inexistente }}",
    )
    broken = queued_sms(custom_text="Hola {% if %}")
    delivery.deliver(broken.pk, now=WED)
    assert reload(broken).reason == Reason.TEMPLATE_ERROR
    assert locmem.outbox == []


def test_templates_cannot_reach_files_or_tag_libraries():
    message = queued_sms(custom_text='{% include "/etc/passwd" %}{% load static %}')
    delivery.deliver(message.pk, now=WED)
    assert reload(message).reason == Reason.TEMPLATE_ERROR


def test_transient_errors_retry_with_growing_backoff_then_send_once(scripted):
    scripted.script.extend([TransientError("503"), TransientError("503"), TransientError("429")])
    message = queued_sms()
    now, delays = WED, []
    for _ in range(3):
        result = delivery.deliver(message.pk, now=now)
        assert result.outcome == "retry"
        delays.append(result.retry_in)
        assert reload(message).lease_until == now + datetime.timedelta(seconds=result.retry_in)
        # Before the backoff ends nobody can claim it.
        assert delivery.deliver(message.pk, now=now + datetime.timedelta(seconds=1)).outcome == "not_claimed"
        now += datetime.timedelta(seconds=result.retry_in)
    assert delivery.deliver(message.pk, now=now).outcome == Status.SENT
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60 and 60 <= delays[2] <= 120
    assert (reload(message).status, reload(message).attempts, reload(message).reason_detail) == (Status.SENT, 4, "")
    assert len(scripted.calls) == 4


def test_transient_errors_give_up_after_the_attempt_limit(scripted, settings):
    settings.MESSAGE_MAX_ATTEMPTS = 2
    scripted.script.extend([TransientError("503"), TransientError("503")])
    message = queued_sms()
    result = delivery.deliver(message.pk, now=WED)
    delivery.deliver(message.pk, now=WED + datetime.timedelta(seconds=result.retry_in))
    row = reload(message)
    assert (row.status, row.reason, row.attempts) == (Status.FAILED, Reason.PROVIDER_UNAVAILABLE, 2)


def test_a_permanent_refusal_fails_without_retry_and_frees_the_cap(scripted):
    scripted.script.append(PermanentError("invalid number", detail="400"))
    ana = new_client()
    message = queued_sms(ana)
    queued_sms(ana)
    assert api.explain(ana, "manual", "sms", now=WED).reason == Reason.CAP_SMS_DAILY
    assert delivery.deliver(message.pk, now=WED).outcome == Status.FAILED
    assert (reload(message).reason, reload(message).attempts) == (Reason.PROVIDER_REJECTED, 1)
    assert api.explain(ana, "manual", "sms", now=WED).status == "queued"


def test_an_ambiguous_outcome_becomes_unknown_and_is_never_resent(scripted):
    scripted.script.append(AmbiguousError("read timeout"))
    message = queued_sms()
    assert delivery.deliver(message.pk, now=WED).outcome == Status.UNKNOWN
    later = WED + datetime.timedelta(hours=1)
    assert delivery.deliver(message.pk, now=later).outcome == "not_claimed"
    assert len(scripted.calls) == 1
    assert reload(message).status == Status.UNKNOWN  # it still holds its cap slot


def test_bad_credentials_pause_the_channel_instead_of_failing_every_message(scripted, caplog):
    scripted.script.append(ConfigurationError("401"))
    first, second = queued_sms(), queued_sms()
    with caplog.at_level(logging.ERROR, logger="communications.delivery"):
        assert delivery.deliver(first.pk, now=WED).outcome == "paused"
    assert "misconfigured" in caplog.text
    assert delivery.deliver(second.pk, now=WED).outcome == "paused"
    assert len(scripted.calls) == 1  # no retry storm against the provider
    for row in (reload(first), reload(second)):
        assert (row.status, row.reason, row.attempts) == (Status.SENDING, Reason.PROVIDER_MISCONFIGURED, 0)


def test_email_goes_through_django_mail():
    ana = new_client(nombre="Ana Pérez", email="ana@example.cl")
    outcome = api.send(ana, "satisfaction_followup", now=WED, context={"servicio": "Tina Calbuco"})
    assert delivery.deliver(outcome.message.pk, now=WED).outcome == Status.SENT
    assert mail.outbox[-1].to == ["ana@example.cl"]
    assert mail.outbox[-1].subject == "¿Cómo estuvo tu visita a Aremko Spa?"
    assert "Tina Calbuco" in mail.outbox[-1].body


@pytest.mark.django_db(transaction=True)
def test_the_sweep_expires_promotes_and_reenqueues(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from aremko.celery import app

    app.conf.task_always_eager = True
    try:
        ana = new_client()
        night = local(2026, 11, 25, 22)
        deferred = request_message(req(ana), now=night).message
        reminder = api.send(
            ana,
            "appointment_reminder",
            now=night,
            at=night + datetime.timedelta(hours=1),
            # Due before it expires (one due after its expiry is blocked at decision time).
            expires_at=night + datetime.timedelta(hours=2),
            context={"fecha": "x", "hora": "y", "servicio": "z"},
        ).message
        with time_machine.travel(local(2026, 11, 26, 9, 1), tick=False):
            result = sweep_outbox()
        assert result["expired"] == 1 and result["promoted"] == {"queued": 1}
        assert (reload(reminder).status, reload(reminder).reason) == (Status.EXPIRED, Reason.EXPIRED)
        assert reload(deferred).status == Status.SENT  # promoted, enqueued on commit, sent eagerly
        assert len(locmem.outbox) == 1
    finally:
        app.conf.task_always_eager = False


def test_promotion_re_decides_so_marketing_yields_to_later_transactional():
    ana = new_client()
    night = local(2026, 11, 25, 22)
    deferred = request_message(req(ana), now=night).message  # waits for 09:00 tomorrow
    morning = local(2026, 11, 26, 8)
    for n in range(2):
        api.send(
            ana, "appointment_reminder", key=f"r{n}", now=morning, context={"fecha": "a", "hora": "b", "servicio": "c"}
        )
    from communications.gate import promote_due

    assert promote_due(local(2026, 11, 26, 9, 1)) == {"rescheduled": 1}
    row = reload(deferred)
    assert (row.status, row.reason, row.scheduled_for) == (
        Status.SCHEDULED,
        Reason.CAP_SMS_DAILY,
        local(2026, 11, 27, 9),
    )
