"""Consent, contactability, segments and idempotency at the gate; explain agrees with send."""

import pytest

from communications import api
from communications.gate import request_message, request_messages
from communications.models import ClientPreferences, ConsentEvent, Message, Reason, Status
from communications.tests.helpers import client_without_phone, local, new_client, req, vip_client

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)
BOOKING = {"fecha": "26/11", "hora": "18:30", "servicio": "Tina"}


def test_sms_opt_out_blocks_marketing_and_booking_falls_back_to_email():
    ana = new_client()
    api.opt_out(ana, channel="sms", source=ConsentEvent.Source.ADMIN, actor="recepcion")
    marketing = request_message(req(ana), now=WED)
    assert (marketing.status, marketing.reason) == ("blocked", Reason.OPTED_OUT)
    booking = api.send(ana, "booking_confirmation", now=WED, context=BOOKING)
    assert (booking.status, booking.decision.channel) == ("queued", "email")


def test_booking_without_any_reachable_channel_is_blocked_with_the_first_reason():
    nobody = client_without_phone(email="")
    booking = api.send(nobody, "booking_confirmation", now=WED, context=BOOKING)
    assert (booking.status, booking.reason) == ("blocked", Reason.NO_PHONE)


def test_promotional_opt_out_never_blocks_transactional_messages():
    ana = new_client()
    api.opt_out(ana, channel="all", scope="marketing")
    assert request_message(req(ana), now=WED).reason == Reason.OPTED_OUT
    reminder = api.send(ana, "appointment_reminder", now=WED, context=BOOKING)
    assert (reminder.status, reminder.decision.channel) == ("queued", "sms")


def test_email_marketing_opt_out_keeps_marketing_sms():
    ana = new_client()
    api.opt_out(ana, channel="email", scope="marketing", source=ConsentEvent.Source.ONE_CLICK)
    assert request_message(req(ana, "manual", "email"), now=WED).reason == Reason.OPTED_OUT
    assert request_message(req(ana, "manual", "sms"), now=WED).status == "queued"
    assert api.send(ana, "satisfaction_followup", now=WED, context=BOOKING).status == "queued"


def test_birthday_needs_its_own_consent():
    vip = vip_client()
    api.opt_out(vip, channel="sms", scope="birthday")
    assert api.send(vip, "birthday", now=WED).reason == Reason.OPTED_OUT
    assert request_message(req(vip), now=WED).status == "queued"


def test_opt_out_cancels_what_is_pending_and_opt_in_restores_sending():
    ana = new_client()
    queued = request_message(req(ana), now=WED).message
    scheduled = request_message(req(ana), now=local(2026, 11, 25, 22)).message
    api.opt_out(ana, channel="sms", source=ConsentEvent.Source.SMS_KEYWORD, evidence={"reply": "BAJA"})
    for message in (queued, scheduled):
        message.refresh_from_db()
        assert (message.status, message.reason) == (Status.CANCELLED, Reason.OPTED_OUT)
    api.opt_in(ana, channel="sms", source=ConsentEvent.Source.SMS_KEYWORD)
    assert request_message(req(ana), now=WED).status == "queued"
    ledger = list(ConsentEvent.objects.filter(cliente=ana).order_by("pk").values_list("granted", "source"))
    assert ledger == [(False, "sms_keyword"), (True, "sms_keyword")]


def test_opt_out_keeps_transactional_email_pending_when_only_marketing_is_withdrawn():
    ana = new_client()
    followup = api.send(ana, "satisfaction_followup", now=WED, context=BOOKING).message
    api.opt_out(ana, channel="email", scope="marketing")
    followup.refresh_from_db()
    assert followup.status == Status.QUEUED


@pytest.mark.parametrize(
    "telefono, reason",
    [
        (None, Reason.NO_PHONE),
        ("", Reason.NO_PHONE),
        ("1234", Reason.INVALID_PHONE),
        ("+56652234567", Reason.INVALID_PHONE),
    ],  # a Puerto Varas landline cannot receive SMS
)
def test_sms_needs_a_mobile(telefono, reason):
    ana = new_client()
    ana.__class__.objects.filter(pk=ana.pk).update(telefono=telefono)
    assert request_message(req(ana), now=WED).reason == reason


def test_foreign_mobiles_can_receive_sms():
    porteno = new_client(telefono="+5491123456789")
    outcome = request_message(req(porteno), now=WED)
    assert (outcome.status, outcome.message.destination) == ("queued", "+5491123456789")


@pytest.mark.parametrize("email, reason", [("", Reason.NO_EMAIL), ("no-es-un-email", Reason.INVALID_EMAIL)])
def test_email_needs_a_valid_address(email, reason):
    ana = new_client(email=email)
    assert request_message(req(ana, "manual", "email"), now=WED).reason == reason


def test_a_hard_bounced_address_is_undeliverable_until_it_changes():
    ana = new_client(email="ana@example.cl")
    ClientPreferences.objects.create(cliente=ana, email_undeliverable="ANA@example.cl")
    assert request_message(req(ana, "manual", "email"), now=WED).reason == Reason.EMAIL_UNDELIVERABLE
    ana.email = "ana.nueva@example.cl"
    ana.save()
    assert request_message(req(ana, "manual", "email"), now=WED).status == "queued"


def test_segment_rule_blocks_clients_outside_the_segment():
    ana = new_client()
    outcome = request_message(req(ana, segments=("vip_high_spend",)), now=WED)
    assert (outcome.status, outcome.reason) == ("blocked", Reason.SEGMENT)
    assert outcome.message.reason_detail == "zero_spend"
    vip = vip_client()
    assert request_message(req(vip, segments=("vip_high_spend",)), now=WED).status == "queued"


def test_a_repeated_idempotency_key_returns_the_first_message_and_writes_nothing():
    ana = new_client()
    first = api.send(ana, "birthday", key=f"birthday:{ana.pk}:2026", now=WED)
    again = api.send(ana, "birthday", key=f"birthday:{ana.pk}:2026", now=WED)
    assert (again.status, again.reason) == ("duplicate", Reason.DUPLICATE)
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(cliente=ana).count() == 1


def test_the_same_key_twice_in_one_batch_is_one_message():
    ana = new_client()
    a, b = req(ana), req(ana)
    b.idempotency_key = a.idempotency_key
    outcomes = request_messages([a, b], now=WED)
    assert [o.status for o in outcomes] == ["queued", "duplicate"]
    assert Message.objects.filter(cliente=ana).count() == 1


def test_blocked_messages_are_rows_with_their_reason():
    nobody = client_without_phone()
    request_message(req(nobody), now=WED)
    row = Message.objects.get(cliente=nobody)
    assert (row.status, row.reason, row.closed_at) == (Status.BLOCKED, Reason.NO_PHONE, WED)


def test_explain_writes_nothing_and_agrees_with_send():
    ana = new_client()
    request_messages([req(ana), req(ana)], now=WED)
    scenarios = [
        ("manual", "sms", WED),
        ("manual", "email", WED),
        ("birthday", None, WED),
        ("manual", "sms", local(2026, 11, 25, 22)),
        ("booking_confirmation", None, WED),
    ]
    for kind, channel, now in scenarios:
        before = Message.objects.count()
        fields = {"custom_text": "Hola"} if kind == "manual" else {"context": BOOKING}
        explained = api.explain(ana, kind, channel, now=now, **fields)
        assert Message.objects.count() == before
        sent = api.send(ana, kind, channel=channel, now=now, **fields)
        assert (explained.status, explained.reason, explained.decision.scheduled_for) == (
            sent.status,
            sent.reason,
            sent.decision.scheduled_for,
        ), kind


def test_unknown_kinds_and_clients_are_clear_errors():
    ana = new_client()
    with pytest.raises(ValueError, match="unknown message kind"):
        api.send(ana, "newsletter_semanal", now=WED)
    with pytest.raises(ValueError, match="does not exist"):
        api.send(10**9, "birthday", now=WED)
