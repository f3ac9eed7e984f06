"""One contract every SMS backend passes, like Django's email backends."""

import io
import json
import logging

import pytest
import responses

from communications.channels.sms.backends import console, dummy, filebased, locmem, redvoiss
from communications.channels.sms.backends.base import BaseSmsBackend, get_backend
from communications.channels.sms.message import SmsMessage, SmsResult
from communications.channels.sms.redvoiss import RedvoissService

PHONE = "+56987654321"
BODY = "Hola Ana, tu reserva está confirmada"
URL = "https://sms.example.test/rest"


def _console(tmp_path, http):
    stream = io.StringIO()
    return console.SmsBackend(stream=stream), lambda: stream.getvalue().count("--- SMS #")


def _locmem(tmp_path, http):
    return locmem.SmsBackend(), lambda: len(locmem.outbox)


def _filebased(tmp_path, http):
    backend = filebased.SmsBackend(file_path=tmp_path / "sms")
    return backend, lambda: sum(p.read_text().count("Ref: ") for p in (tmp_path / "sms").glob("*.log"))


def _dummy(tmp_path, http):
    return dummy.SmsBackend(), None


def _redvoiss(tmp_path, http):
    ids = iter(range(500, 600))
    for path in ("/send", "/sendWithReply"):
        http.add_callback(
            responses.POST, f"{URL}{path}", callback=lambda req: (200, {}, json.dumps({"batchId": next(ids)}))
        )
    service = RedvoissService(URL, username="u", password="p")
    return redvoiss.SmsBackend(service=service), lambda: len(http.calls)


BACKENDS = {"console": _console, "locmem": _locmem, "filebased": _filebased, "dummy": _dummy, "redvoiss": _redvoiss}


@pytest.fixture(params=list(BACKENDS))
def backend(request, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        built, sent = BACKENDS[request.param](tmp_path, http)
        yield built, sent


def message(n=1, **kwargs):
    return SmsMessage(**{"to": PHONE, "body": BODY, "reference": str(n), **kwargs})


def test_it_is_a_base_backend_loadable_by_dotted_path(backend):
    built, _sent = backend
    assert isinstance(built, BaseSmsBackend)
    path = f"{type(built).__module__}.{type(built).__name__}"
    assert path.endswith(".SmsBackend")
    if not isinstance(built, redvoiss.SmsBackend):  # redvoiss needs credentials from settings
        assert isinstance(get_backend(path), type(built))


def test_it_returns_a_result_with_its_provider_and_a_batch_id(backend):
    built, _sent = backend
    result = built.send(message())
    assert isinstance(result, SmsResult)
    assert result.provider == built.provider
    assert result.batch_id


def test_each_send_gets_its_own_batch_id(backend):
    built, _sent = backend
    assert built.send(message(1)).batch_id != built.send(message(2, commercial=True, allow_reply=True)).batch_id


def test_every_send_reaches_the_backend_medium_once(backend):
    built, sent = backend
    with built:
        built.send(message(1))
        built.send(message(2))
    if sent is not None:
        assert sent() == 2


def test_it_never_logs_the_number_or_the_text(backend, caplog):
    built, _sent = backend
    caplog.set_level(logging.DEBUG)
    built.send(message())
    assert "87654321" not in caplog.text
    assert BODY not in caplog.text


def test_the_console_masks_the_number_but_shows_the_text():
    stream = io.StringIO()
    console.SmsBackend(stream=stream).send(message())
    assert "87654321" not in stream.getvalue() and BODY in stream.getvalue()


def test_locmem_keeps_the_message_in_the_outbox():
    locmem.SmsBackend().send(message(commercial=True))
    assert locmem.outbox[-1].commercial is True and locmem.outbox[-1].to == PHONE
