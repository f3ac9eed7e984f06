"""L4: the client's preferred channel is tried first where a kind allows several."""

import pytest

from communications import api
from communications.models import ClientPreferences, Reason
from communications.tests.lifecycle_helpers import L, client

pytestmark = pytest.mark.django_db

BOOKING = {"fecha": "viernes 15 de enero", "hora": "18:00", "servicio": "Tina"}


def test_a_client_who_prefers_email_gets_the_booking_confirmation_by_email():
    ana = client("Ana")
    ClientPreferences.objects.create(cliente=ana, preferred_channel="email")
    outcome = api.send(ana, "booking_confirmation", context=BOOKING, now=L("2027-03-10 11:00"))
    assert (outcome.status, outcome.message.channel) == ("queued", "email")


def test_without_a_preference_the_kinds_own_order_stands():
    bea = client("Bea")
    assert api.send(bea, "booking_confirmation", context=BOOKING, now=L("2027-03-10 11:00")).message.channel == "sms"


def test_the_preferred_channel_falls_back_when_it_is_impossible():
    caro = client("Caro", email=False)
    ClientPreferences.objects.create(cliente=caro, preferred_channel="email")
    assert api.send(caro, "booking_confirmation", context=BOOKING, now=L("2027-03-10 11:00")).message.channel == "sms"


def test_a_manual_message_without_a_channel_follows_the_preference():
    dora = client("Dora")
    ClientPreferences.objects.create(cliente=dora, preferred_channel="email")
    outcome = api.send(dora, "manual", custom_text="Hola", subject="Hola", now=L("2027-03-10 11:00"))
    assert outcome.message.channel == "email"


def test_an_explicit_channel_wins_over_the_preference():
    eli = client("Eli")
    ClientPreferences.objects.create(cliente=eli, preferred_channel="email")
    assert (
        api.send(eli, "manual", channel="sms", custom_text="Hola", now=L("2027-03-10 11:00")).message.channel == "sms"
    )


def test_a_preference_for_a_channel_the_kind_does_not_use_changes_nothing():
    fer = client("Fer")
    ClientPreferences.objects.create(cliente=fer, preferred_channel="email")
    outcome = api.send(fer, "birthday", now=L("2027-03-10 11:00"))
    assert (outcome.message.channel, outcome.reason) == ("sms", "")
    assert Reason.OPTED_OUT not in (outcome.reason,)
