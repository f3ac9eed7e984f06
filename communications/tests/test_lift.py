"""Lift math against published values, and verdicts that refuse to decide on thin data."""

import pytest

from communications.stats import lift as L


def test_newcombe_method_10_matches_the_published_check_value():
    d, low, high = L.newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_matches_the_papers_other_examples():
    # Newcombe (1998) table II: 9/10 vs 3/10 -> [0.1705, 0.8090]; 5/56 vs 0/29 -> [-0.0381, 0.1926].
    assert [round(v, 4) for v in L.newcombe_difference(9, 10, 3, 10)[1:]] == [0.1705, 0.8090]
    assert [round(v, 4) for v in L.newcombe_difference(5, 56, 0, 29)[1:]] == [-0.0381, 0.1926]


def test_wilson_stays_inside_zero_and_one():
    assert L.wilson(0, 10)[0] == 0.0
    assert L.wilson(10, 10)[1] == pytest.approx(1.0)
    assert L.wilson(10, 10)[1] <= 1.0


def test_the_bootstrap_is_reproducible_and_brackets_the_estimate():
    treated = [0] * 800 + [50_000] * 200
    control = [0] * 90 + [50_000] * 10
    first = L.incremental_revenue(treated, control)
    assert first == L.incremental_revenue(treated, control)
    estimate, low, high = first
    assert estimate == pytest.approx((50_000 * 0.2 - 50_000 * 0.1) * 1000)
    assert low < estimate < high


def test_an_arm_under_100_clients_is_insufficient_data():
    result = L.lift([0] * 900 + [1000] * 100, [0] * 80 + [1000] * 19)
    assert result.verdict == L.INSUFFICIENT
    assert result.difference_low is not None  # the interval is still shown


def test_an_arm_under_10_conversions_is_insufficient_data():
    assert L.lift([0] * 900 + [1000] * 100, [0] * 200 + [1000] * 9).verdict == L.INSUFFICIENT


def test_an_interval_containing_zero_shows_no_demonstrated_effect():
    assert L.lift([0] * 900 + [1000] * 100, [0] * 180 + [1000] * 20).verdict == L.NO_EFFECT


def test_a_clear_difference_is_positive_or_negative():
    assert L.lift([0] * 500 + [1000] * 500, [0] * 180 + [1000] * 20).verdict == L.POSITIVE
    assert L.lift([0] * 180 + [1000] * 20, [0] * 500 + [1000] * 500).verdict == L.NEGATIVE


def test_an_empty_arm_gives_no_figures():
    result = L.lift([1000, 0], [])
    assert (result.difference, result.verdict) == (None, L.INSUFFICIENT)


def test_verdicts_have_spanish_labels():
    assert str(L.VERDICT_LABELS[L.INSUFFICIENT]) == "datos insuficientes"
    assert str(L.VERDICT_LABELS[L.NO_EFFECT]) == "sin efecto demostrado"
