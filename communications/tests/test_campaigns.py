"""Campaigns: the preview is what sending does, sending twice sends once, audiences and caps hold."""

import datetime
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications import api, campaigns
from communications.gate import request_messages
from communications.models import CommunicationLimit, Message, Reason, Status
from communications.tests.helpers import (
    client_without_phone,
    inactive_client,
    local,
    message_write_statements,
    new_client,
    req,
    row_writes,
    vip_client,
)
from ventas.tests.factories import CampaignFactory, ClienteFactory

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)  # a Wednesday morning, inside the open hours


@pytest.fixture
def population():
    """Mixed personas: two VIPs, a zero-spend client, one without phone, one opted out, one at the daily SMS cap."""
    people = {
        "vip": vip_client(),
        "vip2": vip_client(),
        "zero": new_client(),
        "inactive": inactive_client(),
        "no_phone": client_without_phone(),
        "opted_out": new_client(),
        "capped": new_client(),
    }
    api.opt_out(people["opted_out"], channel="sms")
    request_messages([req(people["capped"]), req(people["capped"])], now=NOW - datetime.timedelta(hours=1))
    return people


def outcome_of(campaign, cliente):
    m = Message.objects.get(campaign=campaign, cliente=cliente)
    return m.status, m.reason


def test_preview_counts_are_exactly_what_send_then_does(population):
    campaign = CampaignFactory()
    preview = campaigns.preview(campaign, NOW)
    assert Message.objects.filter(campaign=campaign).count() == 0

    sent = campaigns.send(campaign, NOW, "recepcion")

    assert preview.by_status_reason == sent.by_status_reason
    assert preview.by_segment == sent.by_segment
    assert dict(sent.by_status_reason) == {
        ("queued", ""): 4,
        ("scheduled", Reason.CAP_SMS_DAILY): 1,
        ("blocked", Reason.NO_PHONE): 1,
        ("blocked", Reason.OPTED_OUT): 1,
    }
    ledger = Message.objects.filter(campaign=campaign).values_list("status", "reason")
    assert sorted(ledger) == sorted(k for k, n in sent.by_status_reason.items() for _ in range(n))
    assert sent.by_segment["vip_high_spend"] == {"queued": 2}
    assert outcome_of(campaign, population["capped"]) == (Status.SCHEDULED, Reason.CAP_SMS_DAILY)


def test_a_campaign_set_to_drop_blocks_a_capped_client_instead_of_deferring(population):
    campaign = CampaignFactory(when_capped="drop")
    preview = campaigns.preview(campaign, NOW)
    sent = campaigns.send(campaign, NOW, "recepcion")
    assert preview.by_status_reason == sent.by_status_reason
    assert outcome_of(campaign, population["capped"]) == (Status.BLOCKED, Reason.CAP_SMS_DAILY)


def test_an_email_campaign_sends_the_body_with_its_subject(population):
    campaign = CampaignFactory(channel="email", email_subject="Novedades", email_body="Hola {{ nombre }}")
    campaigns.send(campaign, NOW, "recepcion")
    message = Message.objects.get(campaign=campaign, cliente=population["vip"])
    assert (message.channel, message.subject, message.custom_text) == ("email", "Novedades", "Hola {{ nombre }}")
    assert message.idempotency_key == f"campaign:{campaign.pk}:{population['vip'].pk}"


def test_sending_twice_sends_once(population):
    campaign = CampaignFactory()
    first = campaigns.send(campaign, NOW, "recepcion")
    campaign.refresh_from_db()
    sent_at, rows = campaign.sent_at, Message.objects.count()

    again = campaigns.send(campaign, NOW + datetime.timedelta(hours=1), "recepcion")

    assert again.by_status == {"duplicate": first.total}
    assert Message.objects.count() == rows
    campaign.refresh_from_db()
    assert campaign.sent_at == sent_at == NOW


def test_segments_and_minimums_filter_the_audience(population):
    only_vips = CampaignFactory(segments=["vip_high_spend"])
    assert campaigns.send(only_vips, NOW, "recepcion").total == 2
    assert set(Message.objects.filter(campaign=only_vips).values_list("cliente_id", flat=True)) == {
        population["vip"].pk,
        population["vip2"].pk,
    }
    big_spenders = CampaignFactory(target_min_visits=2, target_min_spend=100_000)
    keys = [r.idempotency_key for r in campaigns.campaign_requests(big_spenders, NOW)]
    assert sorted(keys) == sorted(
        f"campaign:{big_spenders.pk}:{c.pk}" for c in (population["vip"], population["vip2"], population["inactive"])
    )


def test_the_requests_carry_the_campaign_settings():
    vip = vip_client()
    campaign = CampaignFactory(segments=["vip_high_spend"], send_at=NOW + datetime.timedelta(days=1))
    (request,) = campaigns.campaign_requests(campaign, NOW)
    assert (request.kind, request.channel, request.campaign_id) == ("campaign", "sms", campaign.pk)
    assert (request.cliente_id, request.segments, request.when_capped) == (vip.pk, ("vip_high_spend",), "defer")
    assert request.custom_text == campaign.sms_template
    assert request.at == NOW + datetime.timedelta(days=1)


def test_a_future_send_time_schedules_the_messages_for_it():
    vip_client()
    campaign = CampaignFactory(send_at=local(2026, 11, 27, 11))
    summary = campaigns.send(campaign, NOW, "recepcion")
    assert dict(summary.by_status_reason) == {("scheduled", ""): 1}
    assert Message.objects.get(campaign=campaign).scheduled_for == local(2026, 11, 27, 11)


def test_vip_early_access_is_capped_at_two_per_client_per_month_and_the_third_is_dropped():
    vip = vip_client()
    # The campaign's default "defer" does not override the kind's own rule (§4: dropped).
    early = [CampaignFactory(kind="vip_early_access", segments=["vip_high_spend"]) for _ in range(4)]
    days = [local(2026, 11, 2), local(2026, 11, 9), local(2026, 11, 16), local(2026, 12, 1)]
    results = [campaigns.send(c, day, "recepcion") for c, day in zip(early, days, strict=True)]
    assert [dict(r.by_status_reason) for r in results] == [
        {("queued", ""): 1},
        {("queued", ""): 1},
        {("blocked", Reason.CAP_KIND): 1},
        {("queued", ""): 1},  # a new month
    ]
    assert Message.objects.filter(cliente=vip, kind="vip_early_access", status=Status.QUEUED).count() == 3


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "vip_early_access", "channel": "email"}, "solo se envía por SMS"),
        ({"sms_template": ""}, "necesita una plantilla SMS"),
        ({"channel": "email", "email_subject": ""}, "necesita asunto y cuerpo"),
        ({"kind": "birthday"}, "no permitido en una campaña"),
        ({"segments": ["vip_extra"]}, "Segmentos desconocidos"),
    ],
)
def test_a_campaign_the_gate_cannot_send_as_meant_is_refused_in_spanish(fields, message):
    new_client()
    campaign = CampaignFactory(**fields)
    with pytest.raises(campaigns.CampaignError, match=message):
        campaigns.preview(campaign, NOW)
    assert Message.objects.count() == 0


def test_sending_to_300_clients_takes_a_bounded_number_of_queries():
    ClienteFactory.create_batch(300)
    CommunicationLimit.objects.bulk_create(
        [
            CommunicationLimit(cliente_id=pk)
            for pk in ClienteFactory._meta.model.objects.values_list("pk", flat=True)[:30]
        ]
    )
    campaign = CampaignFactory()
    with CaptureQueriesContext(connection) as ctx:
        summary = campaigns.send(campaign, NOW, "recepcion")
    assert summary.by_status == {"queued": 300}
    inserts = row_writes(ctx.captured_queries)
    others = [q["sql"] for q in ctx.captured_queries if q["sql"] not in inserts]
    # Reads, locks, savepoints and the sent_at update: a constant, whatever the audience size
    # (18 with the address opt-out and the erased-address lookups: one query each per gate chunk;
    # 20 since the audience page and the gate's facts read the page's paid bookings apart, by index).
    assert len(others) <= 20, others
    # Rows (messages and missing limit rows): as few statements as the database allows.
    assert len(inserts) <= message_write_statements(connection, 300) + math.ceil(270 / 999) + 1


def test_queries_grow_with_pages_not_with_clients():
    ClienteFactory.create_batch(120)
    with CaptureQueriesContext(connection) as ctx:
        campaigns.send(CampaignFactory(), NOW, "recepcion", page_size=50)
    others = [q["sql"] for q in ctx.captured_queries if q["sql"] not in row_writes(ctx.captured_queries)]
    # Three pages of 50, 50 and 20: 18 each (address and erased lookups; the page's paid bookings read by index).
    assert len(others) <= 3 * 18 + 3, others


@pytest.mark.parametrize("page_size", [1, 2, 3, 100])
@pytest.mark.parametrize(
    "filters",
    [{}, {"segments": ["vip_high_spend", "zero_spend"]}, {"target_min_visits": 2, "target_min_spend": 100_000}],
)
def test_audience_pages_hold_exactly_the_audience_in_id_order(population, page_size, filters):
    campaign = CampaignFactory(**filters)
    pages = list(campaigns.audience_pages(campaign, page_size=page_size))
    assert all(0 < len(page) <= page_size for page in pages)
    rows = [row for page in pages for row in page]
    assert rows == list(campaigns.audience(campaign).order_by("pk").values_list("pk", "segment"))
