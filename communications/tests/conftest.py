"""Shared fixtures for communications tests.

- ``smtp_server`` and friends: a real SMTP server on loopback (aiosmtpd) for the email tests.
- ``fake_redvoiss``: the fake Redvoiss server on a free loopback port, in a thread.
- ``redvoiss_settings``: settings that send SMS through the real RedvoissService to it.
- ``celery_worker_on_redis``: a real in-process Celery worker consuming from real Redis
  (use with ``@pytest.mark.django_db(transaction=True)`` and ``@pytest.mark.redis``).
"""

import asyncio
import datetime
import logging
import socket
from email import message_from_bytes, policy

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core.cache import cache
from kombu import pools as kombu_pools

from communications import api
from communications import calendar as cal
from communications.booking_events import publish as _real_booking_publish
from communications.channels.sms import sender
from communications.channels.sms.backends import locmem
from communications.channels.sms.fake_redvoiss import FakeRedvoiss
from communications.delivery import deliver
from communications.models import Message, MessageTemplate

REDVOISS_BACKEND = "communications.channels.sms.backends.redvoiss.SmsBackend"
FAKE_USER, FAKE_PASSWORD = "aremko-test", "s3creto-de-prueba"

# A Tuesday morning in Santiago: inside marketing hours, so marketing email goes at once.
OPEN_HOURS = cal.at_local(datetime.date(2026, 3, 10), datetime.time(11, 0))


class RecordingSMTPHandler:
    """aiosmtpd handler that keeps every accepted message and refuses chosen recipients."""

    def __init__(self):
        self.received: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 5.1.1 User unknown"
        self.data_reply = ""  # e.g. "554 5.7.1 Message rejected as spam"
        self.refuse_data: dict[str, str] = {}  # address -> the reply to its message's data
        self.stall: dict[str, float] = {}  # address -> seconds before answering its data

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        [address, *_] = envelope.rcpt_tos
        if address in self.stall:
            await asyncio.sleep(self.stall[address])
        if self.data_reply or address in self.refuse_data:
            return self.data_reply or self.refuse_data[address]
        self.received.append(envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def parsed(self):
        return [message_from_bytes(raw, policy=policy.default) for raw in self.received]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """A channel paused by one test (cache flag) must not pause the next one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    # aiosmtpd logs every recipient at INFO; test output keeps no addresses either.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = RecordingSMTPHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


def put_template(*, kind, channel, subject, body, variant=""):
    """The staff-edited template for a kind (a row may already exist from the shipped defaults)."""
    return MessageTemplate.objects.update_or_create(
        kind=kind, channel=channel, variant=variant, defaults={"subject": subject, "body": body, "active": True}
    )[0]


def send_email(cliente, kind="welcome_1", *, now=OPEN_HOURS, **fields) -> Message:
    """Run the real pipeline (gate, then delivery) for one email and return the row as it ends."""
    outcome = api.send(cliente, kind, channel="email", now=now, **fields)
    if outcome.message.status == "queued":
        deliver(outcome.message.pk, now=now)
    outcome.message.refresh_from_db()
    return outcome.message


@pytest.fixture(autouse=True)
def _clean_sms_state():
    """Each test starts with no paused channel, an empty outbox and fresh backends."""
    cache.clear()
    locmem.outbox.clear()
    sender.reset_backends()
    yield
    sender.reset_backends()


@pytest.fixture
def fake_redvoiss():
    server = FakeRedvoiss(port=0, username=FAKE_USER, password=FAKE_PASSWORD, step_seconds=0.3).start()
    yield server
    server.stop()


@pytest.fixture
def redvoiss_settings(settings, fake_redvoiss):
    settings.SMS_BACKEND = REDVOISS_BACKEND
    settings.REDVOISS_API_URL = fake_redvoiss.url
    settings.REDVOISS_USERNAME = FAKE_USER
    settings.REDVOISS_PASSWORD = FAKE_PASSWORD
    settings.REDVOISS_READ_TIMEOUT = 2.0
    sender.reset_backends()
    return settings


@pytest.fixture
def celery_worker_on_redis(redis_url):
    """A real Celery worker thread consuming from real Redis; the app's broker points there meanwhile."""
    from celery.contrib.testing.worker import start_worker

    from aremko.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, broker_transport_options={"visibility_timeout": 60})
    _forget_connections(app)
    try:
        # Every queue, named: a worker started with ``queues=[...]`` earlier in this process
        # (test_queues) narrows the app's selection, and later workers would inherit it.
        options = {
            "pool": "solo",
            "perform_ping_check": False,
            "shutdown_timeout": 30,
            "loglevel": "WARNING",
            "queues": list(django_settings.CELERY_TASK_QUEUES),
        }
        with start_worker(app, **options) as worker:
            yield worker
    finally:
        kombu_pools.reset()
        app.conf.update(saved)
        _forget_connections(app)


def _forget_connections(app) -> None:
    """Make the app open new broker connections from its current configuration."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def booking_tasks_run_at_once(monkeypatch):
    """A saved booking's task runs (through Celery, eagerly) where it is published on commit.

    In production it runs a moment later on the transactional worker; the trigger tests
    assert what it does. Tests of the publication itself ask for ``published_booking_tasks``.
    """
    from communications import booking_events, tasks

    monkeypatch.setattr(booking_events, "publish", lambda venta_id: tasks.booking_saved_task.apply((venta_id,)))


@pytest.fixture
def published_booking_tasks(monkeypatch, booking_tasks_run_at_once):
    """The booking tasks really published to the (in-memory) broker: (task, args, routing key)."""
    from celery.signals import before_task_publish

    from communications import booking_events

    monkeypatch.setattr(booking_events, "publish", _real_booking_publish)
    published = []

    def record(sender=None, body=None, routing_key=None, **kwargs):
        if sender == "communications.tasks.booking_saved_task":
            published.append((sender, tuple(body[0]), routing_key))

    before_task_publish.connect(record, weak=False)
    yield published
    before_task_publish.disconnect(record)


@pytest.fixture
def shipped_rows(db):
    """The shipped templates, trigger settings and beat schedules, even after an earlier test's flush."""
    from communications.tests.shipped import restore_shipped_rows

    restore_shipped_rows()
