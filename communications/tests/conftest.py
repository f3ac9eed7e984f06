"""Reusable fixtures for communications tests.

- ``fake_redvoiss``: the fake Redvoiss server on a free loopback port, in a thread.
- ``redvoiss_settings``: settings that send SMS through the real RedvoissService to it.
- ``celery_worker_on_redis``: a real in-process Celery worker consuming from real Redis
  (use with ``@pytest.mark.django_db(transaction=True)`` and ``@pytest.mark.redis``).
"""

import pytest
import redis
from django.core.cache import cache
from kombu import pools as kombu_pools

from communications.channels.sms import sender
from communications.channels.sms.backends import locmem
from communications.channels.sms.fake_redvoiss import FakeRedvoiss

REDVOISS_BACKEND = "communications.channels.sms.backends.redvoiss.SmsBackend"
FAKE_USER, FAKE_PASSWORD = "aremko-test", "s3creto-de-prueba"


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
        options = {"pool": "solo", "perform_ping_check": False, "shutdown_timeout": 30, "loglevel": "WARNING"}
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
