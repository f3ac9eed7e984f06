"""A broker that is down never raises into a staff request or a sweep (trust spec, chaos: Redis stopped).

The rows are committed before the publish, so a publish that fails is logged (no phone,
email or text) and the outbox sweep publishes them once the broker answers again. The
app's broker points at a loopback port where nothing listens, so every publish fails for
real (Celery's own publish retries included); the chaos suite proves the same against a
Redis server stopped and started again (communications/tests/chaos_faults.py, ``redis``).
"""

import logging
import os
import socket
from datetime import timedelta

import pytest
from celery.signals import before_task_publish
from django.db import transaction
from django.utils import timezone
from kombu import pools as kombu_pools

from aremko.celery import app
from communications import campaign_runs, tasks
from communications.booking_events import publish as real_booking_publish
from communications.gate import request_message
from communications.models import CampaignRun, Message, SweepRun
from communications.tests.helpers import local, new_client, req
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _point_broker_at(url):
    if "CELERY_BROKER_URL" in os.environ:  # Celery reads the environment before its configuration
        os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(monkeypatch):
    """The app's broker is a Redis URL nobody answers; back to the configured broker afterwards.

    Celery reads CELERY_BROKER_URL from the environment before its own configuration (CI
    sets it to the system Redis), so the variable follows the broker while the test runs.
    """
    saved = app.conf.broker_url
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    _point_broker_at(dead)
    yield
    monkeypatch.undo()
    _point_broker_at(saved)


@pytest.fixture
def published():
    names = []

    def record(sender=None, body=None, **kwargs):
        names.append((sender, tuple(body[0])))

    before_task_publish.connect(record, weak=False)
    yield names
    before_task_publish.disconnect(record)


# A Wednesday morning in Santiago: a marketing SMS requested then is queued at once, not
# scheduled past the quiet hours, whatever the wall clock says when the suite runs.
OPEN = local(2026, 11, 25, 10)


def _no_personal_data(caplog, cliente):
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert cliente.telefono not in text and cliente.email not in text and cliente.nombre not in text


def test_a_message_queued_while_the_broker_is_down_stays_queued_and_the_request_does_not_fail(broker_down, caplog):
    cliente = new_client(nombre="Rocío Díaz")
    caplog.set_level(logging.WARNING, logger="communications.dispatch")
    with transaction.atomic():
        outcome = request_message(req(cliente, kind="manual", channel="sms"), now=OPEN)
    # The on-commit publish failed, after the commit: the row is there, queued, for the sweep.
    message = Message.objects.get(pk=outcome.message.pk)
    assert message.status == "queued"
    warnings = [r for r in caplog.records if r.name == "communications.dispatch"]
    assert warnings and "left for the sweep" in warnings[0].getMessage()
    _no_personal_data(caplog, cliente)


def test_the_outbox_sweep_survives_the_broker_being_down_and_publishes_once_it_is_back(broker_down, published):
    cliente = new_client()
    with transaction.atomic():
        outcome = request_message(req(cliente, kind="manual", channel="sms"), now=OPEN)
    Message.objects.filter(pk=outcome.message.pk).update(queued_at=timezone.now() - timedelta(minutes=10))

    down = tasks.sweep_outbox.run()
    assert down["reenqueued"] == 1 and down["published"] == 0
    assert SweepRun.objects.filter(task="sweep_outbox").latest("started_at").ok is True

    _point_broker_at("memory://localhost/")
    back = tasks.sweep_outbox.run()
    assert back["reenqueued"] == 1 and back["published"] == 1
    assert any(name.endswith("send_batch") or name.endswith("send_message") for name, _args in published)


def test_a_campaign_started_while_the_broker_is_down_is_started_by_the_sweep_once_it_is_back(broker_down, published):
    campaign = CampaignFactory()
    run = campaign_runs.start_preview(campaign, "marketing")  # publishes on commit: fails, does not raise
    assert CampaignRun.objects.get(pk=run.pk).state == CampaignRun.State.PENDING
    CampaignRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    assert tasks.sweep_outbox.run()["campaign_runs"] == 0
    _point_broker_at("memory://localhost/")
    assert tasks.sweep_outbox.run()["campaign_runs"] == 1
    assert ("communications.tasks.run_campaign", (run.pk,)) in published


def test_a_booking_saved_while_the_broker_is_down_does_not_fail_the_save(broker_down, caplog):
    caplog.set_level(logging.WARNING, logger="communications.dispatch")
    real_booking_publish(123)  # no exception: the confirmation sweep confirms the booking later
    assert any("booking task left for the sweep" in r.getMessage() for r in caplog.records)


def test_a_campaign_run_not_yet_due_for_the_sweep_is_left_alone(published):
    campaign = CampaignFactory()
    run = CampaignRun.objects.create(campaign=campaign, mode=CampaignRun.Mode.PREVIEW)
    assert campaign_runs.republish_pending(timezone.now() - timedelta(minutes=1)) == 0
    assert campaign_runs.republish_pending(timezone.now() + timedelta(seconds=1)) == 1
    assert ("communications.tasks.run_campaign", (run.pk,)) in published
