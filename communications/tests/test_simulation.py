"""simulate: 90 days of every trigger over demo data keeps every rule, and touches nothing real."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from communications import api
from communications.models import Message
from communications.simulation import check_invariants, simulate
from communications.tests.helpers import local, new_client
from ventas.models import Cliente

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_ninety_days_over_demo_data_respect_every_cap_and_leave_no_trace():
    call_command("seed_demo", "--clients", "250", "--seed", "11", "--today", "2026-11-25", stdout=io.StringIO())
    before = (Message.objects.count(), Cliente.objects.count())
    result = simulate(90, local(2026, 11, 25, 0))
    assert result.violations == []
    assert (Message.objects.count(), Cliente.objects.count()) == before  # rolled back
    kinds = {kind for (kind, outcome, _reason) in result.totals if outcome == "sent"}
    assert {
        "booking_confirmation",
        "appointment_reminder",
        "satisfaction_followup",
        "reactivation_email",
        "reactivation_sms",
        "vip_newsletter",
        "loyalty_rewards",
        "birthday",
    } <= kinds
    assert any(reason for (_k, _o, reason) in result.totals)  # something was held back, with its reason


def test_the_command_prints_spanish_totals_and_the_verdict():
    call_command("seed_demo", "--clients", "60", "--seed", "2", "--today", "2026-11-25", stdout=io.StringIO())
    out = io.StringIO()
    call_command("simulate", "--days", "2", "--start", "2026-11-25 08:00", "--quiet", stdout=out)
    assert "Totales en 2 días:" in out.getvalue()
    assert "Ningún cliente superó un límite" in out.getvalue()
    assert Message.objects.count() == 0


def test_the_invariant_check_catches_a_cap_broken_behind_the_gates_back():
    ana = new_client()
    sent = [api.send(ana, "manual", channel="sms", custom_text="x", now=local(2026, 11, 25, 10)) for _ in range(2)]
    # Forge a third marketing SMS the same day, as a buggy writer would.
    forged = Message.objects.get(pk=sent[0].message.pk)
    forged.pk, forged.idempotency_key, forged.public_id = None, "forged", uuid.uuid4()
    forged.save()
    Message.objects.filter(cliente=ana).update(status="sent")
    assert any("SMS de marketing" in problem for problem in check_invariants(Message.objects.all()))


def test_bad_arguments_are_clear():
    with pytest.raises(CommandError, match="--days"):
        call_command("simulate", "--days", "0")
