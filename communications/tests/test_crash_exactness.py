"""A worker that dies during the provider call never causes a second SMS (ARCHITECTURE §2).

The crash is simulated in-process: the backend raises a BaseException (as a killed
worker never returns), after the call marker was committed. The real SIGKILL proof
with a worker process lives with the chaos tests.
"""

import datetime

import pytest

from communications import actions, delivery, tasks
from communications.channels.errors import TransientError
from communications.gate import request_message
from communications.models import Message, Reason, Status
from communications.tests import scripted_backend
from communications.tests.helpers import local, new_client, req

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the provider call runs, not even except/finally in deliver."""


@pytest.fixture(autouse=True)
def scripted(settings):
    settings.SMS_BACKEND = "communications.tests.scripted_backend.SmsBackend"
    settings.MESSAGE_LEASE_SECONDS = 60
    scripted_backend.script.clear()
    scripted_backend.calls.clear()
    from django.core.cache import cache

    cache.clear()
    yield scripted_backend


def queued(kind="manual", **fields):
    return request_message(req(new_client(), kind=kind, **fields), now=WED).message


def crash_during_call(message_id, now=WED):
    scripted_backend.script.append(WorkerKilled())
    with pytest.raises(WorkerKilled):
        delivery.deliver(message_id, now=now)


def after_lease(minutes=2):
    return WED + datetime.timedelta(minutes=minutes)


def test_a_row_found_mid_call_after_its_lease_becomes_unknown_and_is_never_resent():
    message = queued()
    crash_during_call(message.pk)
    row = Message.objects.get(pk=message.pk)
    assert row.status == Status.SENDING and row.provider_call_started_at == WED

    assert delivery.deliver(message.pk, now=after_lease()).outcome == "not_claimed"
    row.refresh_from_db()
    assert (row.status, row.reason) == (Status.UNKNOWN, Reason.INTERRUPTED)
    assert len(scripted_backend.calls) == 1  # the provider was asked once, and only once


def test_the_sweep_settles_interrupted_rows_instead_of_re_enqueueing_them(monkeypatch):
    enqueued = []
    monkeypatch.setattr(tasks, "enqueue", lambda ids: enqueued.extend(ids) or len(ids))
    message = queued()
    crash_during_call(message.pk)
    monkeypatch.setattr(tasks.timezone, "now", lambda: after_lease())
    report = tasks.sweep_outbox.run()
    assert report["interrupted"] == 1 and message.pk not in enqueued
    assert Message.objects.get(pk=message.pk).status == Status.UNKNOWN


def test_a_crashed_reminder_past_its_appointment_is_unknown_not_expired():
    message = queued(
        kind="appointment_reminder",
        expires_at=WED + datetime.timedelta(minutes=1),
        context={"fecha": "miércoles 25", "hora": "10:30", "servicio": "Tina"},
    )
    crash_during_call(message.pk)
    actions.expire_due(after_lease())
    row = Message.objects.get(pk=message.pk)
    assert (row.status, row.reason) == (Status.UNKNOWN, Reason.INTERRUPTED)


def test_a_row_claimed_but_never_handed_to_the_provider_is_sent_normally(monkeypatch):
    message = queued()
    # The worker dies after claiming, before the marker: nothing reached the provider.
    monkeypatch.setattr(delivery, "mark_provider_call_started", _die)
    with pytest.raises(WorkerKilled):
        delivery.deliver(message.pk, now=WED)
    monkeypatch.undo()
    assert delivery.deliver(message.pk, now=after_lease()).outcome == Status.SENT
    assert len(scripted_backend.calls) == 1


def test_a_transient_error_clears_the_marker_so_the_retry_sends():
    message = queued()
    scripted_backend.script.append(TransientError("429", reason="provider_unavailable"))
    result = delivery.deliver(message.pk, now=WED)
    assert result.outcome == "retry"
    assert Message.objects.get(pk=message.pk).provider_call_started_at is None
    later = WED + datetime.timedelta(seconds=result.retry_in + 1)
    assert delivery.deliver(message.pk, now=later).outcome == Status.SENT
    assert len(scripted_backend.calls) == 2


def test_a_stale_claim_cannot_start_a_call_after_another_worker_reclaimed_the_row():
    message = queued()
    first = delivery.claim(message.pk, WED)
    second = delivery.claim(message.pk, after_lease())  # first worker stalled past its lease
    assert second is not None and second.claim_token != first.claim_token
    assert delivery.mark_provider_call_started(first, after_lease()) is False
    assert delivery.mark_provider_call_started(second, after_lease()) is True


def test_negative_control_without_the_marker_a_crash_sends_twice(monkeypatch):
    """Shows the tests above can fail: with no committed marker the row is simply re-claimed."""
    monkeypatch.setattr(delivery, "mark_provider_call_started", lambda message, now: True)
    message = queued()
    crash_during_call(message.pk)
    assert delivery.deliver(message.pk, now=after_lease()).outcome == Status.SENT
    assert len(scripted_backend.calls) == 2


def _die(message, now):
    raise WorkerKilled()
