"""simulate: 90 days of every trigger over demo data keeps every rule, and touches nothing real."""

import io
import random
import uuid

import pytest
from django.core.management import CommandError, call_command

from communications import api
from communications.models import Message, Reason, Status
from communications.simulation import SimulationResult, check_invariants, collect, simulate
from communications.tests.helpers import local, new_client
from ventas.models import Cliente

pytestmark = pytest.mark.django_db


def store_best_hours(seed=3):
    """A stored best hour for most clients (some have none), as score_clients leaves them."""
    from communications.insights.models import ClientInsight

    rng = random.Random(seed)
    ClientInsight.objects.all().delete()
    ClientInsight.objects.bulk_create(
        [
            ClientInsight(cliente_id=pk, best_hour=rng.choice([None, *range(9, 20)]))
            for pk in Cliente.objects.order_by("pk").values_list("pk", flat=True)
        ]
    )


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


@pytest.mark.slow
def test_with_send_time_on_every_cap_and_quiet_hour_still_holds(settings):
    """A small variant of the run above: stored best hours for the clients and exploration on."""
    settings.SEND_TIME_ENABLED = True
    settings.SEND_TIME_EXPLORATION_SHARE = 0.25
    call_command("seed_demo", "--clients", "60", "--seed", "11", "--today", "2026-11-25", stdout=io.StringIO())
    store_best_hours()
    result = simulate(14, local(2026, 11, 25, 0))
    assert result.violations == []  # caps, quiet hours, duplicates: recomputed from the ledger
    moved = sum(n for (_k, outcome, reason), n in result.totals.items() if outcome == "sent" and reason == "send_time")
    assert moved > 0  # marketing went at the clients' own hours...
    assert result.send_time_explored > 0  # ...and some at an explored hour
    assert Message.objects.count() == 0


def test_the_command_prints_spanish_totals_and_the_verdict():
    call_command("seed_demo", "--clients", "60", "--seed", "2", "--today", "2026-11-25", stdout=io.StringIO())
    out = io.StringIO()
    call_command("simulate", "--days", "2", "--start", "2026-11-25 08:00", "--quiet", stdout=out)
    assert "Totales en 2 días:" in out.getvalue()
    assert "Clientes sobre un límite: 0" in out.getvalue()
    assert "Marketing enviado fuera del horario permitido: 0" in out.getvalue()
    assert "Mensajes duplicados: 0" in out.getvalue()
    assert "Expirados en la cola por una causa que el filtro conocía al decidir: 0" in out.getvalue()
    assert "Cumpleaños:" in out.getvalue()
    assert "Cumpleaños vencidos por horario (domingo, feriado o fuera de horario): 0" in out.getvalue()
    assert "Ningún cliente superó un límite" in out.getvalue()
    assert Message.objects.count() == 0


@pytest.mark.slow
def test_daily_triggers_run_once_a_day_give_the_same_ledger_as_running_every_hour():
    # Across a month, a quarter and a holiday (1 January), so the newsletter, loyalty and
    # birthday triggers all fire; the daily cadence must not change a single outcome.
    call_command("seed_demo", "--clients", "80", "--seed", "5", "--today", "2026-12-30", stdout=io.StringIO())
    start = local(2026, 12, 30, 0)
    daily, hourly = simulate(4, start), simulate(4, start, every_hour=True)
    assert daily.totals == hourly.totals
    assert daily.per_day == hourly.per_day
    assert {k for (k, _o, _r) in daily.totals} >= {"vip_newsletter", "loyalty_rewards"}


def test_an_outbox_expiry_the_gate_could_have_foreseen_is_flagged():
    ana = new_client()
    now = local(2027, 3, 1, 8)
    sent = api.send(ana, "manual", channel="sms", custom_text="x", expires_at=local(2027, 3, 2, 0), now=now)
    # As a gate without decision-time expiry would leave it: scheduled after its expiry, expired later.
    Message.objects.filter(pk=sent.message.pk).update(
        status=Status.EXPIRED, reason=Reason.EXPIRED, scheduled_for=local(2027, 3, 2, 9)
    )
    result = SimulationResult(start=now, days=1)
    collect(Message.objects.all(), result)
    assert result.expired_knowable == {"manual": 1}
    assert result.expired_late == {("manual", Reason.QUIET_HOURS): 1}  # 08:00: first held by quiet hours


def test_a_birthday_expired_on_a_sunday_is_counted_as_expired_because_of_the_closed_day():
    ana = new_client()
    sunday = local(2027, 3, 7, 14)
    sent = api.send(ana, "birthday", expires_at=local(2027, 3, 8, 0), now=sunday)
    Message.objects.filter(pk=sent.message.pk).update(status=Status.EXPIRED, reason=Reason.EXPIRED)
    result = SimulationResult(start=sunday, days=1)
    collect(Message.objects.all(), result)
    assert result.birthdays_expired == {"closed_day": 1}


def test_the_invariant_check_catches_a_cap_broken_behind_the_gates_back():
    ana = new_client()
    sent = [api.send(ana, "manual", channel="sms", custom_text="x", now=local(2026, 11, 25, 10)) for _ in range(2)]
    # Forge a third marketing SMS the same day, as a buggy writer would.
    forged = Message.objects.get(pk=sent[0].message.pk)
    forged.pk, forged.idempotency_key, forged.public_id = None, "forged", uuid.uuid4()
    forged.save()
    Message.objects.filter(cliente=ana).update(status="sent")
    assert any("SMS de marketing" in problem for problem in check_invariants(Message.objects.all()))


def test_the_invariant_check_catches_a_marketing_message_sent_in_quiet_hours():
    ana = new_client()
    sent = api.send(ana, "manual", channel="sms", custom_text="x", now=local(2026, 11, 25, 10))
    Message.objects.filter(pk=sent.message.pk).update(status="sent", scheduled_for=local(2026, 11, 25, 23))
    assert any("fuera del horario permitido" in problem for problem in check_invariants(Message.objects.all()))


def test_bad_arguments_are_clear():
    with pytest.raises(CommandError, match="--days"):
        call_command("simulate", "--days", "0")
