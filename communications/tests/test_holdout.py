"""The control group: sticky, the right size, and it blocks marketing only (ARCHITECTURE §11)."""

import datetime

import pytest

from communications import api, gate
from communications.gate import request_message
from communications.kinds import get_kind
from communications.models import Message, Reason, Status
from communications.policy import ClientFacts, Usage, decide
from communications.stats.holdout import bucket, in_campaign_holdout, in_global_holdout
from communications.tests.helpers import local, new_client, req
from ventas.tests.factories import CampaignFactory

WED = local(2026, 11, 25, 10)


def test_the_same_client_always_lands_in_the_same_bucket():
    assert [bucket("k", "42") for _ in range(3)] == [bucket("k", "42")] * 3
    assert bucket("k", "42") != bucket("other-key", "42") or bucket("k", "43") != bucket("other-key", "43")


def test_a_known_bucket_stays_put_across_machines():
    # HMAC-SHA256("k", "42") is fixed by the standard: a code change that moved it would reshuffle arms.
    import hashlib
    import hmac

    expected = int.from_bytes(hmac.new(b"k", b"42", hashlib.sha256).digest(), "big") % 10_000
    assert bucket("k", "42") == expected


def test_five_percent_of_100k_clients_are_controls_within_one_point():
    controls = sum(in_global_holdout(cid, 5, "prod-key") for cid in range(1, 100_001))
    assert 4_000 <= controls <= 6_000


def test_a_campaign_share_of_20_percent_among_100k_clients_is_within_one_point():
    controls = sum(in_campaign_holdout(7, cid, 20, "prod-key") for cid in range(1, 100_001))
    assert 19_000 <= controls <= 21_000


def test_raising_the_share_only_adds_clients():
    at_5 = {cid for cid in range(1, 20_001) if in_global_holdout(cid, 5, "k")}
    at_10 = {cid for cid in range(1, 20_001) if in_global_holdout(cid, 10, "k")}
    assert at_5 < at_10


def test_a_zero_share_holds_out_nobody():
    assert not any(in_global_holdout(cid, 0, "k") for cid in range(1, 5_000))


def facts(cliente_id=1):
    return ClientFacts(cliente_id=cliente_id, telefono="+56991234567", email="ana@example.cl", segment="new_low_spend")


@pytest.fixture
def everyone_control(settings):
    settings.HOLDOUT_PERCENT = 100
    return settings


@pytest.mark.parametrize("kind", ["reactivation_sms", "birthday", "vip_early_access", "campaign", "manual"])
def test_a_control_clients_marketing_is_blocked_as_holdout(everyone_control, kind):
    decision = decide(get_kind(kind), facts(), Usage(), now=WED)
    assert (decision.status, decision.reason) == (Status.BLOCKED, Reason.HOLDOUT)


@pytest.mark.parametrize("kind", ["booking_confirmation", "appointment_reminder", "satisfaction_followup"])
def test_transactional_kinds_always_go_to_a_control_client(everyone_control, kind):
    assert decide(get_kind(kind), facts(), Usage(), now=WED).allowed


def test_a_campaign_marked_transactional_still_respects_the_holdout(everyone_control):
    decision = decide(get_kind("campaign"), facts(), Usage(), now=WED, category="transactional")
    assert decision.reason == Reason.HOLDOUT


def test_only_a_manual_message_marked_transactional_ignores_the_holdout(everyone_control):
    assert decide(get_kind("manual"), facts(), Usage(), now=WED, category="transactional").allowed


def test_consent_and_segment_come_before_the_holdout(everyone_control):
    from communications.policy import Prefs

    opted_out = ClientFacts(1, "+56991234567", "a@b.cl", Prefs(accepts_sms=False))
    assert decide(get_kind("reactivation_sms"), opted_out, Usage(), now=WED).reason == Reason.OPTED_OUT
    outside = decide(get_kind("campaign"), facts(), Usage(), now=WED, segments=("vip_high_spend",))
    assert outside.reason == Reason.SEGMENT


def test_the_holdout_comes_before_quiet_hours(everyone_control):
    night = local(2026, 11, 25, 23)
    assert decide(get_kind("reactivation_sms"), facts(), Usage(), now=night).reason == Reason.HOLDOUT


@pytest.mark.django_db
def test_the_gate_writes_the_would_be_message_as_blocked_holdout_and_explain_says_so(everyone_control):
    cliente = new_client()
    assert api.explain(cliente, "manual", "sms", now=WED, custom_text="Hola").reason == Reason.HOLDOUT
    message = request_message(req(cliente), now=WED).message
    assert (message.status, message.first_status, message.first_reason) == (
        Status.BLOCKED,
        Status.BLOCKED,
        Reason.HOLDOUT,
    )
    assert message.created_at == WED


@pytest.mark.django_db
def test_marketing_scheduled_before_the_holdout_was_switched_on_does_not_leak(settings):
    cliente = new_client()
    night = local(2026, 11, 24, 23)
    message = request_message(req(cliente), now=night).message
    assert message.status == Status.SCHEDULED
    settings.HOLDOUT_PERCENT = 100
    gate.promote_due(WED)
    message.refresh_from_db()
    assert (message.status, message.reason) == (Status.BLOCKED, Reason.HOLDOUT)


@pytest.mark.django_db
def test_a_campaign_share_blocks_its_own_controls_with_campaign_holdout(settings):
    campaign = CampaignFactory(holdout_percent=50)
    clients = [new_client() for _ in range(12)]
    outcomes = [request_message(req(c, kind="campaign", campaign_id=campaign.pk), now=WED) for c in clients]
    reasons = {o.reason for o in outcomes}
    assert reasons == {"", Reason.CAMPAIGN_HOLDOUT}
    for cliente, outcome in zip(clients, outcomes, strict=True):
        expected = in_campaign_holdout(campaign.pk, cliente.pk, 50, settings.HOLDOUT_KEY)
        assert (outcome.reason == Reason.CAMPAIGN_HOLDOUT) is expected
    assert Message.objects.filter(reason=Reason.CAMPAIGN_HOLDOUT).count() == sum(
        o.reason == Reason.CAMPAIGN_HOLDOUT for o in outcomes
    )


@pytest.mark.django_db
def test_a_global_control_is_reported_as_holdout_even_inside_a_campaign_share(everyone_control):
    campaign = CampaignFactory(holdout_percent=50)
    outcome = request_message(req(new_client(), kind="campaign", campaign_id=campaign.pk), now=WED)
    assert outcome.reason == Reason.HOLDOUT


def test_holdout_assignment_does_not_depend_on_time():
    later = WED + datetime.timedelta(days=400)
    assert (
        decide(get_kind("manual"), facts(9), Usage(), now=WED).status
        == decide(get_kind("manual"), facts(9), Usage(), now=later).status
    )
