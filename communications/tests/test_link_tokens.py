"""Tampered, truncated, wrong-purpose and expired tokens change nothing and answer a friendly Spanish 4xx."""

import datetime

import pytest
import time_machine

from communications import tokens
from communications.models import ClientPreferences, ConsentEvent, Message
from ventas.models import CampaignInteraction
from ventas.tests.factories import ClienteFactory

from .conftest import send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    return send_email(ClienteFactory(), "welcome_1")


def tampered(token: str) -> str:
    # Flip one character of the signed payload (not the signature) so the signature no longer matches.
    index = 3
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


def bad_tokens(message, purpose=tokens.UNSUBSCRIBE, wrong=tokens.OPEN):
    good = tokens.make(purpose, message.public_id, **({"u": "https://aremko.cl/"} if purpose == tokens.CLICK else {}))
    return {
        "tampered": tampered(good),
        "truncated": good[:-6],
        "wrong purpose": tokens.make(wrong, message.public_id),
        "garbage": "no-es-un-token",
    }


def nothing_changed(message):
    message.refresh_from_db()
    assert not ConsentEvent.objects.exists()
    assert not ClientPreferences.objects.filter(accepts_marketing_email=False).exists()
    assert message.opened_at is None and message.clicked_at is None
    assert not CampaignInteraction.objects.filter(interaction_type__in=["email_opened", "email_clicked"]).exists()


@pytest.mark.parametrize("suffix, method", [("", "get"), ("", "post"), ("un-clic/", "post")])
@pytest.mark.parametrize("kind", ["tampered", "truncated", "wrong purpose", "garbage"])
def test_a_bad_unsubscribe_token_changes_nothing_and_says_so_in_spanish(client, sent, kind, suffix, method):
    token = bad_tokens(sent)[kind]
    response = getattr(client, method)(f"/c/baja/{token}/{suffix}")
    assert response.status_code == 400
    assert "Este enlace no es válido" in response.content.decode()
    nothing_changed(sent)


@pytest.mark.parametrize(
    "path, purpose", [("preferencias", tokens.PREFERENCES), ("o", tokens.OPEN), ("l", tokens.CLICK)]
)
def test_bad_tokens_on_every_other_endpoint_change_nothing(client, sent, path, purpose):
    for token in bad_tokens(sent, purpose, wrong=tokens.UNSUBSCRIBE).values():
        response = client.post(f"/c/{path}/{token}/") if path == "preferencias" else client.get(f"/c/{path}/{token}/")
        assert response.status_code == 400
        assert "Location" not in response
    nothing_changed(sent)


def test_an_expired_token_changes_nothing_and_answers_gone(client, sent, settings):
    token = tokens.make(tokens.UNSUBSCRIBE, sent.public_id)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=settings.EMAIL_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later, tick=False):
        response = client.post(f"/c/baja/{token}/un-clic/")
    assert response.status_code == 410
    assert "Este enlace expiró" in response.content.decode()
    nothing_changed(sent)


def test_a_token_within_its_validity_still_works_months_later(client, sent):
    token = tokens.make(tokens.UNSUBSCRIBE, sent.public_id)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=300)
    with time_machine.travel(later, tick=False):
        assert client.post(f"/c/baja/{token}/un-clic/").status_code == 200
    assert ConsentEvent.objects.count() == 1


def test_a_token_holds_no_address_and_no_row_id(sent):
    token = tokens.make(tokens.UNSUBSCRIBE, sent.public_id)
    payload = tokens.read(tokens.UNSUBSCRIBE, token)
    assert payload == {"m": sent.public_id}
    assert sent.destination not in token
    assert Message.objects.filter(pk=sent.pk).exists()
