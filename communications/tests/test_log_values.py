"""Log lines print reason codes, statuses and kinds as plain values ("quiet_hours"), never enum reprs."""

import datetime
import logging
import re

import pytest

from communications import actions, api, campaigns, delivery, gate
from communications.models import Message
from communications.tasks import sweep_outbox
from communications.tests.helpers import client_without_phone, local, new_client, req
from communications.tests.lifecycle_helpers import booking, client, run
from ventas.models import Cliente
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

WED_NIGHT = local(2026, 11, 25, 23)  # quiet hours: marketing is deferred
WED = local(2026, 11, 25, 10)
ENUM_REPR = re.compile(r"\b(Reason|Status|Kind|Channel|Category|Origin)\.[A-Z_]+|<\w+\.[A-Z_]+: ")


def log_text(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("communications"))


def test_a_deferred_and_a_blocked_trigger_run_logs_plain_codes(caplog):
    caplog.set_level(logging.INFO, logger="communications")
    for person in (
        client("Ana", fecha_nacimiento=datetime.date(1990, 3, 3)),
        client("Beto", phone=False, email=False, fecha_nacimiento=datetime.date(1985, 3, 3)),
    ):
        booking(person, "2026-01-10 10:00", [("2026-01-12 10:00",)])

    report = run("birthday", "2027-03-03 07:00")  # a Wednesday: Ana's goes at the send hour, Beto has no address

    assert {status for (_kind, status, _reason) in report} == {"scheduled", "blocked"}
    text = log_text(caplog)
    assert "trigger birthday" in text and "'no_phone'" in text, text
    assert not ENUM_REPR.search(text), text


def test_a_campaign_sent_in_quiet_hours_logs_plain_statuses(caplog):
    caplog.set_level(logging.INFO, logger="communications")
    new_client()
    client_without_phone()
    campaign = CampaignFactory(status="active", sms_template="Hola {{ nombre }}, 2x1 en tinas")

    campaigns.send(campaign, actor="ana", now=WED_NIGHT)

    text = log_text(caplog)
    assert f"campaign {campaign.pk} sent" in text
    assert not ENUM_REPR.search(text), text


def test_the_outbox_sweep_and_a_failed_delivery_log_plain_codes(caplog, settings):
    caplog.set_level(logging.INFO, logger="communications")
    cliente = new_client()
    deferred = gate.request_message(req(cliente), now=WED_NIGHT).message
    assert deferred.status == "scheduled" and deferred.reason == "quiet_hours"

    gate.promote_due(local(2026, 11, 26, 10))
    actions.expire_due(local(2026, 11, 26, 10))
    sweep_outbox()
    sms = api.send(new_client(), "campaign", channel="sms", custom_text="Hola {{ nombre }}", now=WED)
    delivery.deliver(sms.message.pk, now=WED)

    text = log_text(caplog)
    assert not ENUM_REPR.search(text), text
    assert Message.objects.count() == 2


def test_a_batch_that_sends_one_and_blocks_one_logs_plain_outcomes(caplog):
    from communications import batch_delivery

    caplog.set_level(logging.INFO, logger="communications")
    sent = gate.request_message(req(new_client()), now=WED).message
    lost_phone = new_client()
    blocked = gate.request_message(req(lost_phone), now=WED).message
    Cliente.objects.filter(pk=lost_phone.pk).update(telefono=None)  # re-checked at delivery: blocked no_phone

    report = batch_delivery.deliver_batch("sms", "marketing", now=WED)

    assert report.claimed == 2
    statuses = dict(Message.objects.filter(pk__in=[sent.pk, blocked.pk]).values_list("pk", "status"))
    assert statuses == {sent.pk: "sent", blocked.pk: "blocked"}
    text = log_text(caplog)
    assert "'sent': 1" in text and "'blocked': 1" in text, text
    assert not ENUM_REPR.search(text), text
