"""Status and reply polls open one HTTP session per run and reuse it for every batch (keep-alive, one TLS handshake)."""

import datetime

import pytest
import requests
import responses

from communications.feedback.replies import poll_replies
from communications.feedback.status import poll_status
from ventas.tests.factories import ClienteFactory

from .sms_helpers import URL, sent_sms, use_redvoiss

pytestmark = pytest.mark.django_db


@pytest.fixture
def http(settings):
    use_redvoiss(settings)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sessions(monkeypatch):
    """Every requests.Session opened and closed while the test runs."""
    opened, closed = [], []
    real_init, real_close = requests.Session.__init__, requests.Session.close

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        opened.append(self)

    def close(self):
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(requests.Session, "__init__", init)
    monkeypatch.setattr(requests.Session, "close", close)
    return opened, closed


def three_batches(http):
    messages = [sent_sms(http, ClienteFactory(), batch) for batch in (41, 42, 43)]
    return messages, messages[0].sent_at + datetime.timedelta(minutes=5)


def test_a_status_poll_of_three_batches_opens_one_session_and_closes_it(http, sessions):
    messages, later = three_batches(http)
    for message, batch in zip(messages, (41, 42, 43), strict=True):
        http.get(f"{URL}/batch/{batch}/status", json=[{"destination": message.destination, "status": "ENVIADO"}])
    opened, closed = sessions
    opened.clear()

    counts = poll_status(later)

    assert counts["batches"] == 3
    assert len(opened) == 1 and closed[-1] is opened[0]


def test_a_reply_poll_of_three_batches_opens_one_session_and_closes_it(http, sessions):
    _, later = three_batches(http)
    for batch in (41, 42, 43):
        http.get(f"{URL}/batch/{batch}/replies", json={"messageReplyList": []})
    opened, closed = sessions
    opened.clear()

    counts = poll_replies(later)

    assert counts["batches"] == 3
    assert len(opened) == 1 and closed[-1] is opened[0]
