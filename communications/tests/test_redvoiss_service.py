"""RedvoissService against the contract, with HTTP mocked at one seam (responses)."""

import json
import logging

import pytest
import requests
import responses
from responses import matchers

from communications.channels.errors import AmbiguousError, ConfigurationError, PermanentError, TransientError
from communications.channels.http import USER_AGENT, MalformedResponse
from communications.channels.sms.redvoiss import RedvoissService

URL = "https://sms.example.test/services/rest"
PHONE = "+56987654321"


@pytest.fixture
def service():
    return RedvoissService(URL, username="aremko", password="clave", read_timeout=2, max_response_bytes=10_000)


def send(service, **kwargs):
    options = {"text": "Hola Ana", "destination": PHONE, "reference": "42", "commercial": False}
    return service.send(**{**options, **kwargs})


@responses.activate
def test_it_greets_with_basic_auth_and_a_user_agent(service):
    responses.get(f"{URL}/greet", body="Hola aremko")
    assert service.greet() == "Hola aremko"
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Basic YXJlbWtvOmNsYXZl"
    assert request.headers["User-Agent"] == USER_AGENT


@responses.activate
def test_it_sends_the_contract_payload_and_returns_the_batch_id(service):
    responses.post(
        f"{URL}/send",
        json={"batchId": 777},
        match=[
            matchers.json_params_matcher(
                {
                    "bulkName": "aremko-42",
                    "message": "Hola Ana",
                    "message_details": [{"destination": PHONE, "field": "", "idCliente": "42"}],
                    "isCommercial": False,
                }
            )
        ],
    )
    assert send(service) == "777"


@responses.activate
def test_marketing_goes_through_send_with_reply_flagged_commercial(service):
    responses.post(f"{URL}/sendWithReply", json={"batchId": "B-1"})
    assert service.send_with_reply(text="Promo", destination=PHONE, reference="7", commercial=True) == "B-1"
    assert json.loads(responses.calls[0].request.body)["isCommercial"] is True


@responses.activate
def test_it_reads_batch_status_items(service):
    responses.get(
        f"{URL}/batch/777/status",
        json=[{"destination": PHONE, "status": "RECIBIDO", "msgCod": "9"}, {"destino": PHONE, "estado": "raro"}],
    )
    first, second = service.batch_status("777")
    assert (first.destination, first.raw_status, first.code, first.normalized) == (PHONE, "RECIBIDO", "9", "delivered")
    assert second.normalized == "unknown"
    assert second.raw == {"destino": PHONE, "estado": "raro"}


@responses.activate
def test_it_reads_replies_tolerantly(service):
    responses.get(
        f"{URL}/batch/777/replies",
        json={"messageReplyList": [{"phone": PHONE, "text": "BAJA"}, {"origin": PHONE, "mensaje": "hola", "id": 3}]},
    )
    first, second = service.batch_replies("777")
    assert (first.destination, first.text, first.reply_id) == (PHONE, "BAJA", "")
    assert (second.destination, second.text, second.reply_id) == (PHONE, "hola", "3")
    assert first.fingerprint().startswith("h:") and second.fingerprint() == "id:3"


@responses.activate
def test_an_empty_reply_list_is_no_reply(service):
    responses.get(f"{URL}/batch/1/replies", json={"messageReplyList": []})
    responses.get(f"{URL}/batch/2/replies", json={})
    assert service.batch_replies("1") == [] and service.batch_replies("2") == []


# --- error classes ------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize("status", [429, 503])
def test_busy_answers_are_transient(service, status):
    responses.post(f"{URL}/send", status=status)
    with pytest.raises(TransientError):
        send(service)


def test_a_refused_connection_is_transient_because_nothing_left():
    service = RedvoissService("http://127.0.0.1:9", username="u", password="p", connect_timeout=1)
    with pytest.raises(TransientError):
        send(service)


@responses.activate
def test_a_read_timeout_on_a_send_is_ambiguous(service):
    responses.post(f"{URL}/send", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(AmbiguousError):
        send(service)


@responses.activate
def test_a_read_timeout_on_a_status_poll_is_transient(service):
    responses.get(f"{URL}/batch/1/status", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransientError):
        service.batch_status("1")


@responses.activate
def test_a_500_on_a_send_is_ambiguous_by_contract(service):
    responses.post(f"{URL}/send", status=500)
    with pytest.raises(AmbiguousError):
        send(service)


@responses.activate
def test_a_500_on_a_send_is_transient_when_the_provider_confirms_it_is_safe():
    service = RedvoissService(URL, username="u", password="p", retry_writes_on_5xx=True)
    responses.post(f"{URL}/send", status=500)
    with pytest.raises(TransientError):
        send(service)


@responses.activate
def test_a_500_on_a_poll_is_transient(service):
    responses.get(f"{URL}/batch/1/status", status=500)
    with pytest.raises(TransientError):
        service.batch_status("1")


@responses.activate
def test_a_400_about_the_number_is_permanent_and_its_detail_masks_the_number(service):
    responses.post(f"{URL}/send", status=400, json={"error": f"destino {PHONE} inválido"})
    with pytest.raises(PermanentError) as caught:
        send(service)
    assert "8765" not in caught.value.detail
    assert "inválido" in caught.value.detail


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_a_configuration_fault(service, status):
    responses.get(f"{URL}/greet", status=status)
    with pytest.raises(ConfigurationError):
        service.greet()


def test_missing_credentials_are_a_configuration_fault_without_any_request():
    with pytest.raises(ConfigurationError):
        RedvoissService(URL).greet()


@responses.activate
def test_a_wrong_endpoint_on_a_send_is_a_configuration_fault(service):
    responses.post(f"{URL}/send", status=404)
    with pytest.raises(ConfigurationError):
        send(service)


# --- bad input ----------------------------------------------------------------------


@responses.activate
def test_malformed_json_after_a_send_is_ambiguous_not_lost(service):
    responses.post(f"{URL}/send", body="<html>oops")
    with pytest.raises(MalformedResponse) as caught:
        send(service)
    assert isinstance(caught.value, AmbiguousError)
    assert caught.value.raw.startswith(b"<html>")


@responses.activate
def test_a_send_answer_without_batch_id_is_ambiguous(service):
    responses.post(f"{URL}/send", json={"ok": True})
    with pytest.raises(AmbiguousError):
        send(service)


@responses.activate
def test_an_oversized_answer_is_not_read_past_the_cap(service):
    responses.get(f"{URL}/batch/1/status", body=b"[" + b" " * 20_000 + b"]")
    with pytest.raises(MalformedResponse):
        service.batch_status("1")


@responses.activate
def test_a_status_answer_that_is_not_a_list_is_malformed(service):
    responses.get(f"{URL}/batch/1/status", json={"weird": 1})
    with pytest.raises(MalformedResponse):
        service.batch_status("1")


@responses.activate
def test_logs_never_carry_numbers_or_texts(service, caplog):
    caplog.set_level(logging.DEBUG)
    responses.post(f"{URL}/send", status=400, json={"error": f"destino {PHONE} inválido"})
    with pytest.raises(PermanentError):
        send(service, text="Texto privado")
    responses.post(f"{URL}/sendWithReply", json={"batchId": 5})
    service.send_with_reply(text="Texto privado", destination=PHONE, reference="1", commercial=True)
    assert "8765" not in caplog.text
    assert "Texto privado" not in caplog.text
    assert "POST /send" in caplog.text
