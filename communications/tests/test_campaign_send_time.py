"""A campaign may opt in to send time: each client at their own hour, off unless staff choose it.

specs/insights.md: send time applies to a fixed list of marketing kinds "and campaigns
that opt in"; the slot moves once, at request, and caps and quiet hours still apply.
"""

import pytest
import time_machine
from django.urls import reverse

import communications.admin_campaigns  # noqa: F401  (registers the campaign admin)
from communications import api, campaign_runs, campaigns
from communications.insights.models import ClientInsight
from communications.models import CampaignRun, Message, Reason, Status
from communications.tests.helpers import local, new_client
from ventas.models import Campaign
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)  # a Wednesday, open hours 9-20
TEXT = "Hola {{ nombre }}, novedades en Aremko Spa."


@pytest.fixture(autouse=True)
def no_exploration(settings):
    settings.SEND_TIME_EXPLORATION_SHARE = 0.0


def with_hour(hour):
    cliente = new_client()
    ClientInsight.objects.create(cliente=cliente, best_hour=hour)
    return cliente


def test_campaigns_do_not_use_send_time_unless_staff_opt_in():
    assert Campaign().optimize_send_time is False
    cliente = with_hour(16)
    campaign = CampaignFactory()
    campaigns.send(campaign, WED, "marketing")
    message = Message.objects.get(campaign=campaign, cliente=cliente)
    assert (message.status, message.reason, message.scheduled_for) == (Status.QUEUED, "", WED)


def test_an_opted_in_campaign_reaches_each_client_at_their_hour_and_the_others_now():
    afternoon, unknown = with_hour(16), new_client()
    campaign = CampaignFactory(optimize_send_time=True)
    preview = campaigns.preview(campaign, WED)
    sent = campaigns.send(campaign, WED, "marketing")

    moved = Message.objects.get(campaign=campaign, cliente=afternoon)
    assert (moved.status, moved.reason) == (Status.SCHEDULED, Reason.SEND_TIME)
    assert moved.scheduled_for == local(2026, 11, 25, 16)
    kept = Message.objects.get(campaign=campaign, cliente=unknown)
    assert (kept.status, kept.scheduled_for) == (Status.QUEUED, WED)
    # The preview (the gate's dry run) decides exactly what the send did.
    assert preview.by_status_reason == sent.by_status_reason
    assert sent.by_status_reason[(Status.SCHEDULED, Reason.SEND_TIME)] == 1


def test_the_campaign_send_time_still_honours_its_own_later_start():
    cliente = with_hour(12)
    campaign = CampaignFactory(optimize_send_time=True, send_at=local(2026, 11, 26, 10))
    campaigns.send(campaign, WED, "marketing")
    # The requested slot (Thursday 10 h) gets the client's hour on that same day.
    assert Message.objects.get(campaign=campaign, cliente=cliente).scheduled_for == local(2026, 11, 26, 12)


def test_explain_for_a_campaign_reads_its_opt_in():
    cliente = with_hour(16)
    opted, plain = CampaignFactory(optimize_send_time=True), CampaignFactory()

    outcome = api.explain(cliente, "campaign", "sms", now=WED, campaign_id=opted.pk, key="why-1", custom_text=TEXT)
    assert (outcome.reason, outcome.decision.scheduled_for) == (Reason.SEND_TIME, local(2026, 11, 25, 16))
    outcome = api.explain(cliente, "campaign", "sms", now=WED, campaign_id=plain.pk, key="why-2", custom_text=TEXT)
    assert (outcome.reason, outcome.status) == ("", Status.QUEUED)
    assert Message.objects.count() == 0


def test_a_transactional_message_is_never_moved_even_when_asked():
    cliente = with_hour(16)
    asked = {"optimize_send_time": True, "custom_text": TEXT}
    outcome = api.send(cliente, "manual", channel="sms", now=WED, category="transactional", **asked)
    assert (outcome.status, outcome.reason, outcome.message.scheduled_for) == (Status.QUEUED, "", WED)
    marketing = api.send(cliente, "manual", channel="sms", now=WED, **asked)
    assert marketing.reason == Reason.SEND_TIME


def test_a_client_who_objects_to_profiling_keeps_the_campaign_slot():
    # Objectors have no stored hour (their profile is never computed or kept).
    cliente = new_client()
    campaign = CampaignFactory(optimize_send_time=True)
    campaigns.send(campaign, WED, "marketing")
    assert Message.objects.get(campaign=campaign, cliente=cliente).scheduled_for == WED


def test_staff_choose_it_in_the_campaign_form_and_see_it_in_the_preview(admin_client):
    with time_machine.travel(WED, tick=False):
        response = admin_client.post(
            reverse("admin:ventas_campaign_add"),
            {
                "name": "Tinas de verano",
                "status": "active",
                "target_min_visits": "0",
                "target_min_spend": "0",
                "channel": "sms",
                "kind": "campaign",
                "when_capped": "defer",
                "optimize_send_time": "on",
                "sms_template": "Hola {{ nombre }}, tinas a mitad de precio",
            },
        )
        assert response.status_code == 302
        campaign = Campaign.objects.get(name="Tinas de verano")
        assert campaign.optimize_send_time
        with_hour(16)

        started = admin_client.get(reverse("admin:ventas_campaign_preview", args=[campaign.pk]))
        campaign_runs.execute(CampaignRun.objects.filter(campaign=campaign).latest("pk").pk)
        html = admin_client.get(started.url).content.decode()
    assert "Hora de envío: <strong" in html and "la mejor de cada cliente" in html
    assert "Hora de envío ajustada al cliente: 1" in html
