"""A scheduled campaign message keeps the campaign's rules when the sweep promotes it (finding M5)."""

import pytest

from communications import api, campaigns, gate
from communications.models import Message, Reason, Status
from communications.tests.helpers import local, new_client
from ventas.tests.factories import CampaignFactory, give_visits

pytestmark = pytest.mark.django_db

TRANSACTIONAL_CONTEXT = {"fecha": "x", "hora": "y", "servicio": "z"}


def test_a_campaign_set_to_no_enviar_is_dropped_not_deferred_when_capped_at_promotion():
    campaign = CampaignFactory(
        name="Flash sale",
        channel="sms",
        kind="campaign",
        sms_template="Hola {{ nombre }}, 2x1 solo hoy",
        send_at=local(2027, 3, 10, 15),
        when_capped="drop",
    )
    wanda = new_client(nombre="Wanda")
    gate.request_message(campaigns.build_request(campaign, wanda.pk, local(2027, 3, 10, 9)), now=local(2027, 3, 10, 9))
    # Two transactional SMS fill the day before the campaign's hour.
    for kind in ("booking_confirmation", "appointment_reminder"):
        api.send(wanda, kind, context=TRANSACTIONAL_CONTEXT, now=local(2027, 3, 10, 11))

    counts = gate.promote_due(local(2027, 3, 10, 15))

    message = Message.objects.get(campaign=campaign)
    assert counts == {f"blocked:{Reason.CAP_SMS_DAILY}": 1}
    assert (message.status, message.reason) == (Status.BLOCKED, Reason.CAP_SMS_DAILY)
    # "Solo hoy" must not go out tomorrow.
    assert message.scheduled_for == local(2027, 3, 10, 15)


def test_a_campaign_set_to_diferir_is_still_deferred_at_promotion():
    campaign = CampaignFactory(sms_template="Hola {{ nombre }}", send_at=local(2027, 3, 10, 15), when_capped="defer")
    wanda = new_client()
    gate.request_message(campaigns.build_request(campaign, wanda.pk, local(2027, 3, 10, 9)), now=local(2027, 3, 10, 9))
    for kind in ("booking_confirmation", "appointment_reminder"):
        api.send(wanda, kind, context=TRANSACTIONAL_CONTEXT, now=local(2027, 3, 10, 11))

    assert gate.promote_due(local(2027, 3, 10, 15)) == {"rescheduled": 1}
    message = Message.objects.get(campaign=campaign)
    assert (message.status, message.reason) == (Status.SCHEDULED, Reason.CAP_SMS_DAILY)


def test_a_scheduled_campaign_message_is_blocked_when_its_client_left_the_chosen_segments():
    campaign = CampaignFactory(segments=["zero_spend"], send_at=local(2027, 3, 10, 15))
    newcomer = new_client()
    gate.request_message(
        campaigns.build_request(campaign, newcomer.pk, local(2027, 3, 10, 9)), now=local(2027, 3, 10, 9)
    )
    message = Message.objects.get(campaign=campaign)
    assert (message.status, message.segment_rule, message.when_capped) == (Status.SCHEDULED, ["zero_spend"], "defer")
    give_visits(newcomer, 6, 40_000, days_ago=1)  # now a VIP: no longer in the campaign's audience

    gate.promote_due(local(2027, 3, 10, 15))

    message.refresh_from_db()
    assert (message.status, message.reason) == (Status.BLOCKED, Reason.SEGMENT)
