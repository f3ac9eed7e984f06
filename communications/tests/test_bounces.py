"""record_bounce: hard bounces mark the address, complaints withdraw marketing email, each event once."""

import pytest

from communications import api
from communications.bounces import record_bounce
from communications.models import ClientPreferences, ConsentEvent, DeliveryEvent
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    return send_email(ClienteFactory(email="ana@example.cl"), "welcome_1")


def test_a_hard_bounce_fails_the_message_and_marks_the_address(sent):
    result = record_bounce(sent, "hard", {"smtp": "550 5.1.1"})
    assert result.recorded
    sent.refresh_from_db()
    assert (sent.status, sent.reason) == ("failed", "email_undeliverable")
    assert ClientPreferences.objects.get(cliente=sent.cliente).email_undeliverable == "ana@example.cl"


def test_a_hard_bounce_blocks_pending_email_to_the_same_address(sent):
    pending = api.send(sent.cliente, "reactivation_email", now=OPEN_HOURS).message
    assert pending.status == "scheduled"
    record_bounce(sent, "hard")
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("blocked", "email_undeliverable")


def test_the_same_bounce_is_stored_once(sent):
    assert record_bounce(sent, "hard").recorded
    assert not record_bounce(sent, "hard").recorded
    assert DeliveryEvent.objects.filter(normalized="hard").count() == 1


def test_a_soft_bounce_is_recorded_and_changes_nothing_else(sent):
    record_bounce(sent, "soft", {"smtp": "452 4.2.2"})
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert not ClientPreferences.objects.filter(email_undeliverable__gt="").exists()
    assert DeliveryEvent.objects.get().event_type == "bounce"


def test_a_complaint_withdraws_marketing_email_and_cancels_queued_marketing(sent):
    pending = api.send(sent.cliente, "reactivation_email", now=OPEN_HOURS).message
    record_bounce(sent, "complaint")
    event = ConsentEvent.objects.get()
    assert (event.channel, event.scope, event.granted, event.source) == ("email", "marketing", False, "complaint")
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    assert ClientPreferences.objects.get(cliente=sent.cliente).accepts_email  # booking email still allowed


def test_a_second_complaint_from_another_message_adds_no_consent_event(sent):
    other = send_email(sent.cliente, "reactivation_email", now=OPEN_HOURS.replace(day=17))
    record_bounce(sent, "complaint")
    record_bounce(other, "complaint")
    assert ConsentEvent.objects.count() == 1
    assert DeliveryEvent.objects.filter(normalized="complaint").count() == 2


def test_a_bounce_for_a_bare_address_marks_every_client_with_it():
    a, b = ClienteFactory(email="Compartido@example.cl"), ClienteFactory(email="compartido@example.cl")
    result = record_bounce("compartido@example.cl", "hard", event_id="dsn-1")
    assert set(result.cliente_ids) == {a.pk, b.pk}
    assert ClientPreferences.objects.filter(email_undeliverable="compartido@example.cl").count() == 2
    assert "compartido" not in DeliveryEvent.objects.get().dedupe_key


def test_a_bounce_for_an_unknown_address_records_nothing():
    assert not record_bounce("nadie@example.cl", "hard").recorded
    assert not DeliveryEvent.objects.exists()


def test_an_unknown_kind_is_a_programming_error(sent):
    with pytest.raises(ValueError):
        record_bounce(sent, "weird")
