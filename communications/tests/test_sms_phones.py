"""Only valid mobiles receive SMS; everything else is blocked at the gate."""

import pytest

from communications import api
from communications.channels.sms.phones import same_destination, sms_destination
from ventas.tests.factories import ClienteFactory


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+56 9 8765 4321", "+56987654321"),
        ("9 8765 4321", "+56987654321"),
        ("56987654321", "+56987654321"),
        ("+54 9 11 2345 6789", "+5491123456789"),  # Argentine mobile
        ("+34 612 345 678", "+34612345678"),  # Spanish mobile
        ("+1 415 555 2671", "+14155552671"),  # US: fixed-line-or-mobile
    ],
)
def test_it_formats_mobiles_as_e164(raw, expected):
    assert sms_destination(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "abc",
        "+56 65 223 4567",  # Puerto Varas landline
        "+56 2 2345 6789",  # Santiago landline
        "+56 9 8765 432",  # one digit short
        "+34 912 345 678",  # Spanish landline
        "600 123 4567",  # Chilean 600 service number
    ],
)
def test_it_refuses_landlines_and_garbage(raw):
    assert sms_destination(raw) == ""


def test_the_digits_format_drops_the_plus(settings):
    settings.SMS_DESTINATION_FORMAT = "digits"
    assert sms_destination("+56 9 8765 4321") == "56987654321"


def test_an_unknown_format_is_a_configuration_error(settings):
    settings.SMS_DESTINATION_FORMAT = "national"
    with pytest.raises(ValueError):
        sms_destination("+56987654321")


def test_destinations_match_whatever_prefix_the_provider_echoes():
    assert same_destination("+56987654321", "56987654321")
    assert same_destination("+56987654321", "987654321")
    assert not same_destination("+56987654321", "+56987654322")
    assert not same_destination("", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "telefono, reason",
    [(None, "no_phone"), ("+56652234567", "invalid_phone"), ("no tengo", "invalid_phone")],
)
def test_the_gate_blocks_clients_without_a_mobile(telefono, reason):
    cliente = ClienteFactory(telefono=telefono)
    outcome = api.send(cliente, "appointment_reminder", key=f"r:{cliente.pk}")
    assert outcome.status == "blocked"
    assert outcome.reason == reason


@pytest.mark.django_db
def test_the_gate_snapshots_the_e164_destination():
    cliente = ClienteFactory(telefono="9 8765 4321")
    outcome = api.send(cliente, "appointment_reminder", key="r:1")
    assert outcome.status == "queued"
    assert outcome.message.destination == "+56987654321"


def test_the_parse_cache_is_bounded_and_invisible_to_the_garbage_collector(monkeypatch, settings):
    """A 1M-client sweep fills the cache: it must stay bounded and hold nothing the collector walks."""
    import gc

    from communications.channels.sms import phones

    monkeypatch.setattr(phones._e164, "answers", {})
    monkeypatch.setattr(phones._e164, "size", 3)
    for n in range(10):
        assert sms_destination(f"+5699000000{n}") == f"+5699000000{n}"
        assert len(phones._e164.answers) <= 3
    assert sms_destination("abc") == ""
    assert not gc.is_tracked(phones._e164.answers)  # only strings: full collections skip it
    # The format is applied on every call, not cached with the number.
    settings.SMS_DESTINATION_FORMAT = "digits"
    assert sms_destination("+56990000009") == "56990000009"
