"""The bounce/complaint webhook: bearer secret, 2xx for accepted or unknown, 4xx for bad auth or shape."""

import json

import pytest

from communications.models import ClientPreferences, ConsentEvent, DeliveryEvent
from ventas.tests.factories import ClienteFactory

from .conftest import send_email

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests-only"
URL = "/c/webhooks/email/"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.EMAIL_WEBHOOK_SECRET = SECRET


def post(client, body, token=SECRET):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, data, content_type="application/json", **headers)


def test_a_hard_bounce_by_our_message_id_is_accepted(client):
    sent = send_email(ClienteFactory(), "welcome_1")
    response = post(client, {"type": "hard_bounce", "message": str(sent.public_id), "id": "evt-1"})
    assert response.status_code == 200 and response.json() == {"accepted": 1, "unknown": 0}
    assert ClientPreferences.objects.get(cliente=sent.cliente).email_undeliverable == sent.destination


def test_a_complaint_by_message_id_header_withdraws_marketing_email(client):
    sent = send_email(ClienteFactory(), "welcome_1")
    response = post(client, [{"type": "complaint", "message": sent.provider_message_id}])
    assert response.status_code == 200
    assert ConsentEvent.objects.get().source == "complaint"


def test_a_provider_retrying_the_same_event_changes_nothing_more(client):
    sent = send_email(ClienteFactory(), "welcome_1")
    for _ in range(3):
        assert post(client, {"type": "complaint", "message": str(sent.public_id), "id": "evt-9"}).status_code == 200
    assert DeliveryEvent.objects.count() == 1 and ConsentEvent.objects.count() == 1


def test_unknown_messages_and_addresses_answer_200_so_the_provider_stops_retrying(client):
    response = post(
        client,
        [
            {"type": "hard_bounce", "message": "00000000-0000-0000-0000-000000000000"},
            {"type": "soft_bounce", "email": "nadie@example.cl"},
        ],
    )
    assert response.status_code == 200 and response.json() == {"accepted": 0, "unknown": 2}
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("token", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_bad_credentials_are_refused_with_401(client, token):
    sent = send_email(ClienteFactory(), "welcome_1")
    response = post(client, {"type": "hard_bounce", "message": str(sent.public_id)}, token=token)
    assert response.status_code == 401
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe",
        "",
        "[]",
        "42",
        json.dumps({"type": "delivered", "message": "x"}),
        json.dumps({"type": "hard_bounce"}),
        json.dumps({"type": "hard_bounce", "message": 123}),
        json.dumps([{"type": "complaint", "email": ["a"]}]),
        json.dumps([{"type": "complaint", "email": "a@b.cl"}] * 101),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400_never_a_500(client, body):
    assert post(client, body).status_code == 400


def test_without_a_configured_secret_the_webhook_is_off(client, settings):
    settings.EMAIL_WEBHOOK_SECRET = ""
    assert post(client, {"type": "complaint", "email": "a@b.cl"}, token="").status_code == 404


def test_only_post_is_allowed(client):
    assert client.get(URL).status_code == 405
