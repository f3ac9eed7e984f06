"""Early reactivation (specs/insights.md): a staff setting, off by default, that lets the reactivation
trigger reach high-risk, top-quartile-value clients from 45 days without a paid visit; caps still hold."""

import datetime

import pytest
import time_machine

from communications.gate import request_message
from communications.insights import early
from communications.insights.models import ClientInsight, risk_band
from communications.models import Message, Reason, Status, TriggerSetting
from communications.tests.helpers import local, req
from communications.triggers import TRIGGERS
from communications.triggers import run as run_trigger
from ventas.tests.factories import ClienteFactory, give_visits

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)  # a Wednesday
TRIGGER = TRIGGERS["reactivation_email"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def client(days_ago, probability=None, value=0, **kwargs):
    cliente = ClienteFactory(**kwargs)
    give_visits(cliente, 2, 50_000, days_ago=days_ago)
    if probability is not None:
        ClientInsight.objects.create(
            cliente=cliente, churn_probability=probability, risk_band=risk_band(probability), value_clp=value
        )
    return cliente


@pytest.fixture
def clients():
    """Seventeen scored clients: the top quartile is the ⌈17/4⌉ = 5 highest values, down to 450.000."""
    c = {
        "early": client(60, 0.85, 500_000),  # alto, top quartile, 60 days: reached early
        "at_45_days": client(45, 0.75, 450_000),  # alto, at the threshold (a tie), exactly 45 days: reached
        "too_recent": client(44, 0.9, 600_000),  # 44 days: not yet
        "medium_risk": client(60, 0.65, 700_000),  # medio: no
        "low_value": client(60, 0.95, 449_999),  # alto, just below the top quartile: no
        "gone": client(120),  # 90+ days, no score: the usual rule, on and off
    }
    client(150, 0.3, 450_000)  # bajo, long gone: the fifth-highest value, due by the usual rule
    for value in range(10_000, 110_000, 10_000):
        client(150, 0.3, value)
    return c


def due_ids(now=NOW):
    return {r.cliente_id for r in TRIGGER.due(now, TRIGGER.config())}


def test_off_by_default_nothing_changes(clients):
    assert TRIGGER.config().early_high_risk is False
    assert not TriggerSetting.objects.get(name="reactivation_email").early_high_risk
    due = due_ids()
    assert clients["gone"].pk in due
    assert not {clients[k].pk for k in ("early", "at_45_days", "too_recent", "medium_risk", "low_value")} & due


def test_on_reaches_alto_top_quartile_clients_from_45_days_and_no_one_else(clients):
    TriggerSetting.objects.filter(name="reactivation_email").update(early_high_risk=True)
    due = due_ids()
    assert clients["gone"].pk in due
    reached = {k for k in ("early", "at_45_days", "too_recent", "medium_risk", "low_value") if clients[k].pk in due}
    assert reached == {"early", "at_45_days"}


def test_the_top_quartile_is_read_from_the_stored_values():
    for value in (100, 200, 300, 400, 500):
        ClientInsight.objects.create(cliente=ClienteFactory(), churn_probability=0.8, risk_band="alto", value_clp=value)
    ClientInsight.objects.create(cliente=ClienteFactory(), value_clp=999_999)  # no score: not in the population
    assert early.top_quartile_value() == 400  # 5 scored → the 2 highest: 500 and 400


def test_no_score_at_all_means_no_early_reach():
    ClienteFactory()
    assert early.early_condition(NOW) is None


def test_on_an_early_email_goes_once_and_the_rolling_90_day_cap_still_holds(clients):
    TriggerSetting.objects.filter(name="reactivation_email").update(early_high_risk=True)
    target = clients["early"]
    run_trigger(TRIGGER, NOW)
    [email] = Message.objects.filter(cliente=target, kind="reactivation_email")
    assert email.status in (Status.QUEUED, Status.SCHEDULED)

    # 40 days later the client crosses the usual 90 days: the trigger does not start a second sequence...
    later = NOW + datetime.timedelta(days=40)
    with time_machine.travel(later, tick=False):
        assert target.pk not in due_ids(later)
        run_trigger(TRIGGER, later)
        # ...and a request that slips past the trigger meets the gate's rolling cap.
        outcome = request_message(req(target, kind="reactivation_email"), now=later)
    assert Message.objects.filter(cliente=target, kind="reactivation_email").count() == 2
    assert outcome.reason == Reason.CAP_KIND
    if outcome.status != Status.BLOCKED:  # deferred past the 90 days, never inside them
        assert outcome.message.counts_on >= email.counts_on + datetime.timedelta(days=90)


def test_staff_switch_it_on_the_reactivation_triggers_page_and_only_there(admin_client):
    from django.urls import reverse

    def url(name):
        return reverse("admin:communications_triggersetting_change", args=[TriggerSetting.objects.get(name=name).pk])

    page = admin_client.get(url("reactivation_email")).content.decode()
    assert 'name="early_high_risk"' in page and "cuartil superior" in page
    assert 'name="early_high_risk"' not in admin_client.get(url("vip_newsletter")).content.decode()
    response = admin_client.post(
        url("reactivation_email"), {"enabled": "on", "window_days": "90", "send_hour": "10", "early_high_risk": "on"}
    )
    assert response.status_code == 302
    assert TRIGGER.config().early_high_risk is True
