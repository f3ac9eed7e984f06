"""KPI arithmetic on plain rows (no database): denominators, statuses, ROI, funnel, formatting."""

import datetime

from communications.stats import charts, kpis


def row(channel="sms", kind="campaign", segment="vip_high_spend", **counters):
    return {"channel": channel, "kind": kind, "segment": segment, **counters}


def test_totals_sum_every_counter_and_merge_the_reason_counts():
    sums = kpis.total(
        [
            row(requested=3, blocked=2, blocked_by_reason={"cap_sms_daily": 2}),
            row(requested=1, blocked=1, blocked_by_reason={"cap_sms_daily": 1, "opted_out": 0}),
        ]
    )
    assert (sums["requested"], sums["blocked"]) == (4, 3)
    assert sums["blocked_by_reason"] == {"cap_sms_daily": 3, "opted_out": 0}


def test_delivery_is_per_message_handed_to_the_provider_and_email_rates_per_delivered_email():
    tiles = {
        t.target.key: t
        for t in kpis.tiles(
            [
                row("sms", handed=200, delivered=190),
                row("email", "vip_newsletter", handed=100, delivered=80, opens=30, clicks=8),
            ]
        )
    }
    assert (tiles["sms_delivery"].rate.numerator, tiles["sms_delivery"].rate.denominator) == (190, 200)
    assert tiles["sms_delivery"].status == "bad"  # 95 % is not more than 95 %
    assert tiles["email_open"].rate.denominator == 80
    assert tiles["email_open"].side.value == 0.1
    assert tiles["email_open"].status == "ok"


def test_reactivation_conversion_counts_only_reactivation_kinds():
    tile = kpis.tiles(
        [
            row("email", "reactivation_email", delivered=50, conversions=6),
            row("sms", "reactivation_sms", delivered=50, conversions=4),
            row("email", "vip_newsletter", delivered=900, conversions=1),
        ]
    )[2]
    assert (tile.rate.numerator, tile.rate.denominator, tile.status) == (10, 100, "bad")


def test_a_ceiling_target_warns_in_its_last_tenth_and_is_bad_at_the_line():
    complaints = kpis.TARGETS["complaints"]
    assert complaints.status(0.00089) == "ok"
    assert complaints.status(0.00095) == "warn"
    assert complaints.status(0.001) == "bad"
    assert complaints.status(None) == "none"


def test_roi_is_revenue_minus_cost_over_cost_and_undefined_without_cost():
    assert kpis.roi(50_000, 10_000) == 4.0
    assert kpis.roi(5_000, 10_000) == -0.5
    assert kpis.roi(50_000, 0) is None
    assert kpis.roi(None, 10_000) is None


def test_the_funnel_adds_up_to_the_requested_messages():
    sums = kpis.total([row(requested=10, blocked=2, cancelled=1, expired=1, pending=2, handed=4, delivered=3)])
    steps = {s.label: s for s in kpis.funnel(sums)}
    parts = ["Bloqueados", "Cancelados", "Expirados", "Pendientes", "Entregados al proveedor"]
    assert sum(steps[p].value for p in parts) == steps["Solicitados"].value
    assert steps["Entregados"].share == 0.3


def test_the_lift_period_closest_to_the_range_is_chosen():
    d = datetime.date
    periods = [("30d", d(2026, 11, 1), d(2026, 11, 30)), ("90d", d(2026, 9, 2), d(2026, 11, 30))]
    periods.append(("2026-10", d(2026, 10, 1), d(2026, 10, 31)))
    assert kpis.closest_period(periods, d(2026, 11, 3), d(2026, 11, 30)) == "30d"
    assert kpis.closest_period(periods, d(2026, 10, 1), d(2026, 10, 30)) == "2026-10"
    assert kpis.closest_period([], d(2026, 10, 1), d(2026, 10, 30)) is None


def test_numbers_are_written_the_chilean_way():
    assert kpis.percent(0.9523) == "95,2 %"
    assert kpis.percent(0.0005) == "0,05 %"
    assert kpis.percent(None) == "—"
    assert kpis.clp(1_234_567) == "$1.234.567"
    assert kpis.clp(-200_000) == "−$200.000"


def test_a_chart_is_titled_described_and_escapes_its_labels():
    days = [datetime.date(2026, 11, 1) + datetime.timedelta(days=i) for i in range(3)]
    svg = charts.line_chart("c", "Envíos <SMS>", "Totales", days, [charts.Series("A & B", [1, 5, 2])])
    assert '<title id="c-title">Envíos &lt;SMS&gt;</title>' in svg
    assert '<desc id="c-desc">Totales</desc>' in svg
    assert "A &amp; B" in svg and "<polyline" in svg
    assert "01/11" in svg


def test_a_chart_of_one_day_or_only_zeros_still_renders():
    day = [datetime.date(2026, 11, 1)]
    assert "<circle" in charts.line_chart("c", "t", "d", day, [charts.Series("x", [0])])
