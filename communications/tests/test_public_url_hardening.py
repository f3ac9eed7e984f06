"""Public URLs under abuse: rate limits that never refuse a valid unsubscribe, signed webhooks, strict headers."""

import hashlib
import hmac
import json
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications import tokens
from communications.models import ConsentEvent
from ventas.tests.factories import ClienteFactory

from .conftest import send_email

pytestmark = pytest.mark.django_db

WEBHOOK = "/c/webhooks/email/"
BEARER = "s3cret-for-tests-only"
SIGNING = "firma-de-prueba"


@pytest.fixture(autouse=True)
def limits(settings):
    cache.clear()
    settings.RATE_LIMIT_INVALID_PER_IP = 5
    settings.RATE_LIMIT_PER_TOKEN = 3
    yield
    cache.clear()


@pytest.fixture
def sent():
    return send_email(ClienteFactory(), "welcome_1")


def link(purpose, message, path):
    return path.format(token=tokens.make(purpose, message.public_id))


def test_bad_tokens_are_limited_per_ip_with_429_and_no_query(client):
    statuses = [client.get("/c/o/garbage-token/").status_code for _ in range(5)]
    assert statuses == [400] * 5
    with CaptureQueriesContext(connection) as queries:
        limited = client.get("/c/l/other-garbage/")
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    assert len(queries) == 0
    # Another address is not punished for the first one's guesses.
    assert client.get("/c/o/garbage-token/", REMOTE_ADDR="10.9.8.7").status_code == 400


def test_a_valid_token_replayed_in_a_loop_is_limited_per_token(client, sent):
    url = link(tokens.OPEN, sent, "/c/o/{token}/")
    assert [client.get(url).status_code for _ in range(3)] == [200] * 3
    assert client.get(url).status_code == 429
    # The limit is the token's, not the address's: another message's link still works.
    other = send_email(ClienteFactory(), "welcome_1")
    assert client.get(link(tokens.OPEN, other, "/c/o/{token}/")).status_code == 200


def test_a_valid_unsubscribe_post_is_never_refused_even_past_every_limit(client, sent):
    url = link(tokens.UNSUBSCRIBE, sent, "/c/baja/{token}/un-clic/")
    for _ in range(3):
        client.get(url)
    assert client.get(url).status_code == 429  # looking is limited...
    for _ in range(10):  # ...one-click from a mailbox provider's shared IP is not
        response = client.post(url, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    assert ConsentEvent.objects.filter(cliente=sent.cliente, granted=False).count() == 1


def sign(body: bytes, stamp: int, secret=SIGNING) -> str:
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def webhook(client, body: bytes, signature=None, token=BEARER, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}
    if signature is not None:
        headers["HTTP_X_AREMKO_SIGNATURE"] = signature
    return client.post(WEBHOOK, body, content_type="application/json", **headers)


@pytest.fixture
def signed_webhook(settings):
    settings.EMAIL_WEBHOOK_SECRET = BEARER
    settings.EMAIL_WEBHOOK_SIGNING_SECRET = SIGNING


def bounce_body(message) -> bytes:
    return json.dumps({"type": "hard_bounce", "message": str(message.public_id), "id": "evt-1"}).encode()


def test_a_signed_webhook_within_the_window_is_accepted(client, signed_webhook, sent):
    body = bounce_body(sent)
    response = webhook(client, body, sign(body, int(time.time())))
    assert response.status_code == 200 and response.json()["accepted"] == 1


@pytest.mark.parametrize(
    "problem",
    ["missing", "tampered body", "wrong secret", "too old", "from the future", "garbled header"],
)
def test_unsigned_tampered_stale_or_garbled_webhooks_are_refused(client, signed_webhook, sent, problem):
    body = bounce_body(sent)
    now = int(time.time())
    signature, sent_body = {
        "missing": (None, body),
        "tampered body": (sign(body, now), body.replace(b"hard_bounce", b"complaint")),
        "wrong secret": (sign(body, now, secret="otra"), body),
        "too old": (sign(body, now - 301), body),
        "from the future": (sign(body, now + 301), body),
        "garbled header": ("t=abc,v1=", body),
    }[problem]
    response = webhook(client, sent_body, signature)
    assert response.status_code == 401
    assert not ConsentEvent.objects.exists()


def test_a_replayed_signed_webhook_is_refused(client, signed_webhook, sent):
    body = bounce_body(sent)
    signature = sign(body, int(time.time()))
    assert webhook(client, body, signature).status_code == 200
    assert webhook(client, body, signature).status_code == 401


def test_repeated_refused_webhook_calls_from_one_address_get_429(client, signed_webhook):
    for _ in range(5):
        assert webhook(client, b"{}", token="wrong").status_code == 401
    assert webhook(client, b"{}", token="wrong").status_code == 429


def test_client_pages_carry_a_strict_content_security_policy(client, sent):
    response = client.get(link(tokens.UNSUBSCRIBE, sent, "/c/baja/{token}/"))
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in policy
    assert response["X-Frame-Options"] == "DENY"
    assert "<style" not in response.content.decode()  # the policy forbids inline style: it lives in a file
    assert "communications/web.css" in response.content.decode()


def test_the_admin_keeps_djangos_defaults_without_the_client_page_policy(client):
    assert "Content-Security-Policy" not in client.get("/admin/login/")
