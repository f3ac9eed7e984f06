"""The fake Redvoiss honours the contract, and its switches produce each error class."""

import time

import pytest
import requests

from communications.channels.errors import AmbiguousError, ConfigurationError, PermanentError, TransientError
from communications.channels.http import MalformedResponse
from communications.channels.sms.redvoiss import RedvoissService

from .conftest import FAKE_PASSWORD, FAKE_USER

PHONE = "+56987654321"


@pytest.fixture
def service(fake_redvoiss):
    service = RedvoissService(fake_redvoiss.url, username=FAKE_USER, password=FAKE_PASSWORD, read_timeout=1)
    yield service
    service.close()


def send(service, **kwargs):
    return service.send(**{"text": "Hola", "destination": PHONE, "reference": "1", "commercial": False, **kwargs})


def test_it_greets_only_with_the_right_credentials(fake_redvoiss, service):
    assert service.greet()
    with pytest.raises(ConfigurationError):
        RedvoissService(fake_redvoiss.url, username=FAKE_USER, password="mala").greet()


def test_statuses_progress_from_pendiente_to_recibido(fake_redvoiss, service):
    batch = send(service)
    assert [i.raw_status for i in service.batch_status(batch)] == ["PENDIENTE"]
    time.sleep(0.35)
    assert service.batch_status(batch)[0].raw_status == "ENVIADO"
    time.sleep(0.35)
    item = service.batch_status(batch)[0]
    assert (item.raw_status, item.normalized, item.destination) == ("RECIBIDO", "delivered", PHONE)


def test_numbers_set_to_fail_end_fallido(fake_redvoiss, service):
    fake_redvoiss.set(fail_numbers=[PHONE], step_seconds=0.01)
    batch = send(service)
    time.sleep(0.05)
    assert service.batch_status(batch)[0].raw_status == "FALLIDO"


def test_injected_replies_reach_the_latest_reply_capable_batch(fake_redvoiss, service):
    send(service)  # without reply
    batch = service.send_with_reply(text="Promo", destination=PHONE, reference="2", commercial=True)
    fake_redvoiss.inject_reply(PHONE, "BAJA")
    (reply,) = service.batch_replies(batch)
    assert (reply.text, reply.destination) == ("BAJA", PHONE)
    assert fake_redvoiss.batches[int(batch)].commercial is True


def test_replies_can_be_injected_over_http(fake_redvoiss, service):
    batch = service.send_with_reply(text="Promo", destination=PHONE, reference="2", commercial=True)
    answer = requests.post(f"{fake_redvoiss.url}/_admin/reply", json={"destination": PHONE, "text": "hola"}, timeout=2)
    assert answer.status_code == 200
    assert [r.text for r in service.batch_replies(batch)] == ["hola"]


def test_switches_flip_at_runtime_over_http(fake_redvoiss, service):
    requests.post(f"{fake_redvoiss.url}/_admin/switches", json={"fail_429": 1, "fail_500": 1}, timeout=2)
    with pytest.raises(TransientError):
        send(service)  # 429 first
    with pytest.raises(AmbiguousError):
        send(service)  # then 500 (ambiguous on a send)
    assert send(service)


def test_rejected_numbers_are_permanent(fake_redvoiss, service):
    fake_redvoiss.set(reject_numbers=[PHONE])
    with pytest.raises(PermanentError):
        send(service)


def test_bad_credentials_switch_is_a_configuration_fault(fake_redvoiss, service):
    fake_redvoiss.set(bad_credentials=True)
    with pytest.raises(ConfigurationError):
        service.greet()


def test_a_slow_answer_past_the_read_timeout_is_ambiguous_and_the_sms_went_out(fake_redvoiss, service):
    fake_redvoiss.set(slow_seconds=1.5)
    with pytest.raises(AmbiguousError):
        send(service)
    assert len(fake_redvoiss.batches) == 1  # the provider did queue it: resending would duplicate it


def test_malformed_answers_are_malformed(fake_redvoiss, service):
    fake_redvoiss.set(malformed=True)
    with pytest.raises(MalformedResponse):
        send(service)


def test_requests_reuse_one_keep_alive_connection_without_nagle_delays(fake_redvoiss, service):
    # Deterministic stand-ins for "fast": one TCP connection for many calls, and no
    # Nagle/delayed-ACK stall on the server side (REDVOISS.md). Speed itself is bench/'s job.
    for _ in range(20):
        service.greet()
    assert len(fake_redvoiss.peers) == 1
    assert fake_redvoiss.httpd.RequestHandlerClass.disable_nagle_algorithm is True
    assert fake_redvoiss.httpd.RequestHandlerClass.protocol_version == "HTTP/1.1"
