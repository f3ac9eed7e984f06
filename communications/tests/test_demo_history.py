"""seed_demo --history-days: a past that keeps every rule, and a dashboard full from the first minute."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from communications.models import ConsentEvent, DailyStat, LiftStat, Message, Reason
from communications.simulation import SENT, check_invariants

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)


def seed_history_demo(settings):
    settings.HOLDOUT_PERCENT = 10
    out = io.StringIO()
    call_command(
        "seed_demo", "--clients", "120", "--seed", "3", "--today", TODAY.isoformat(), "--history-days", "90", stdout=out
    )
    return out.getvalue()


def test_a_synthesised_history_keeps_caps_consent_quiet_hours_and_the_holdout_and_fills_the_dashboard(settings):
    printed = seed_history_demo(settings)
    assert "Historial" in printed
    assert Message.objects.count() > 500
    assert check_invariants(Message.objects.all()) == []
    assert not Message.objects.filter(created_at__date__gte=TODAY).exists()
    no_marketing_after_an_opt_out_of_that_channel()
    control_clients_get_no_marketing_but_their_would_be_messages_are_recorded()
    marketing_respects_quiet_hours()
    rates_are_believable_and_statistics_ready()


def no_marketing_after_an_opt_out_of_that_channel():
    opt_outs = ConsentEvent.objects.filter(granted=False)
    assert opt_outs.exists()
    for event in opt_outs:
        later = Message.objects.filter(
            cliente_id=event.cliente_id,
            channel=event.channel,
            category="marketing",
            created_at__gt=event.created_at,
            status__in=SENT,
        )
        assert not later.exists(), event


def control_clients_get_no_marketing_but_their_would_be_messages_are_recorded():
    from communications.stats.holdout import in_global_holdout

    holdout = Message.objects.filter(reason=Reason.HOLDOUT)
    assert holdout.exists()
    controls = {
        cid
        for cid in Message.objects.values_list("cliente_id", flat=True)
        if in_global_holdout(cid, 10, "test-holdout-key")
    }
    assert not Message.objects.filter(cliente_id__in=controls, category="marketing", status__in=SENT).exists()


def marketing_respects_quiet_hours():
    from communications import calendar as cal

    for created in Message.objects.filter(category="marketing", status__in=SENT).values_list("created_at", flat=True):
        assert cal.in_open_hours(created), created


def rates_are_believable_and_statistics_ready():
    sms = DailyStat.objects.filter(channel="sms").aggregate(d=Sum("delivered"), h=Sum("handed"))
    assert 0.9 < sms["d"] / sms["h"] < 0.99
    email = DailyStat.objects.filter(channel="email").aggregate(o=Sum("opens"), d=Sum("delivered"), c=Sum("clicks"))
    assert 0.15 < email["o"] / email["d"] < 0.45
    assert 0 < email["c"] < email["o"]
    assert DailyStat.objects.aggregate(n=Sum("conversions"))["n"] > 0
    assert LiftStat.objects.filter(period="90d", segment="", kind="").exists()
