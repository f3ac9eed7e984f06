"""The refresh stores the lift per period, segment and kind, with the spec's eligibility."""

import datetime

import pytest

from communications.models import LiftStat, Message, Status
from communications.stats.lift_refresh import periods, refresh_lift
from communications.stats.queries import lift_for
from communications.tests.helpers import local, new_client
from ventas.models import VentaReserva

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)


def message(cliente, *, reason="", kind="reactivation_sms", segment="new_low_spend", at=None):
    at = at or local(2026, 11, 10, 10)
    blocked = bool(reason)
    return Message.objects.create(
        cliente=cliente,
        channel="sms",
        kind=kind,
        category="marketing",
        idempotency_key=f"lift:{cliente.pk}:{kind}:{reason}",
        status=Status.BLOCKED if blocked else Status.DELIVERED,
        reason=reason,
        first_status=Status.BLOCKED if blocked else Status.QUEUED,
        first_reason=reason,
        client_segment=segment,
        scheduled_for=at,
        counts_on=at.date(),
        created_at=at,
    )


def paid(cliente, at, amount=30_000):
    VentaReserva.objects.create(cliente=cliente, fecha_creacion=at, total=amount, pagado=amount, estado_pago="pagado")


def test_periods_are_30_and_90_days_and_each_month():
    labels = [p[0] for p in periods(TODAY, months=2)]
    assert labels == ["30d", "90d", "2026-11", "2026-10", "2026-09"]
    assert periods(TODAY)[2] == ("2026-11", datetime.date(2026, 11, 1), TODAY)


def test_treated_and_control_arms_are_counted_with_their_conversions():
    treated = [new_client() for _ in range(4)]
    control = [new_client() for _ in range(2)]
    for c in treated:
        message(c)
    for c in control:
        message(c, reason="holdout")
    paid(treated[0], local(2026, 11, 11, 12))
    paid(control[0], local(2026, 11, 12, 12))
    paid(treated[1], local(2026, 11, 9, 12))  # before the message: not a conversion
    opted_out = new_client()
    message(opted_out, reason="opted_out")  # not eligible: could never have received it
    paid(opted_out, local(2026, 11, 11, 12))

    assert refresh_lift(today=TODAY, months=1) > 0
    row = LiftStat.objects.get(period="30d", segment="", kind="")
    assert (row.treated_clients, row.treated_conversions, row.control_clients, row.control_conversions) == (4, 1, 2, 1)
    assert row.verdict == "insufficient"
    assert row.difference == pytest.approx(1 / 4 - 1 / 2)
    assert row.incremental_revenue_clp == pytest.approx((30_000 / 4 - 30_000 / 2) * 4)
    assert LiftStat.objects.filter(period="30d", segment="new_low_spend", kind="").exists()
    assert LiftStat.objects.filter(period="30d", segment="", kind="reactivation_sms").exists()


def test_refreshing_replaces_rows_and_the_dashboard_reads_the_closest_period():
    message(new_client())
    message(new_client(), reason="holdout")
    refresh_lift(today=TODAY, months=1)
    first = LiftStat.objects.count()
    refresh_lift(today=TODAY, months=1)
    assert LiftStat.objects.count() == first
    assert lift_for(TODAY - datetime.timedelta(days=29), TODAY)["period"] == "30d"
    assert lift_for(datetime.date(2026, 11, 1), TODAY)["period"] == "2026-11"
