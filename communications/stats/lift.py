"""Incremental effect of marketing: treated vs the holdout, with honest uncertainty.

Pure: plain numbers and lists in, plain numbers out. The conversion-rate difference
uses Newcombe's hybrid score interval (method 10, built from two Wilson intervals),
which behaves at small counts and near 0 or 1 where the textbook Wald interval lies.
Incremental revenue uses a percentile bootstrap, resampling within each arm.
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
# Below this an interval is too wide to mean anything: the page says so instead of a verdict.
MIN_ARM_CLIENTS = 100
MIN_ARM_CONVERSIONS = 10

INSUFFICIENT, NO_EFFECT, POSITIVE, NEGATIVE = "insufficient", "no_effect", "positive", "negative"
VERDICT_LABELS = {
    INSUFFICIENT: _("datos insuficientes"),
    NO_EFFECT: _("sin efecto demostrado"),
    POSITIVE: _("efecto positivo"),
    NEGATIVE: _("efecto negativo"),
}


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of one proportion."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """(p1 - p2, low, high): Newcombe (1998) method 10, hybrid score interval."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def incremental_revenue(
    treated: list[float], control: list[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float, float]:
    """(estimate, low, high) of (mean per treated client - mean per control client) x treated clients.

    ``treated`` and ``control`` hold what each client of the arm paid (CLP, zeros included).
    Percentile bootstrap, 95%, resampling within each arm with a fixed seed (same data, same interval).
    """
    import numpy as np

    t = np.asarray(treated, dtype=float)
    c = np.asarray(control, dtype=float)
    if not len(t) or not len(c):
        raise ValueError("both arms need clients")
    estimate = (t.mean() - c.mean()) * len(t)
    rng = np.random.default_rng(seed)
    t_means, c_means = _resampled_means(rng, t, resamples), _resampled_means(rng, c, resamples)
    stats = (t_means - c_means) * len(t)
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(estimate), float(low), float(high)


def _resampled_means(rng, values, resamples):
    import numpy as np

    # Chunks of resamples keep memory bounded at 100k clients (about 40 MB per chunk).
    per_chunk = max(1, 5_000_000 // len(values))
    means = []
    for start in range(0, resamples, per_chunk):
        size = min(per_chunk, resamples - start)
        idx = rng.integers(0, len(values), size=(size, len(values)))
        means.append(values[idx].mean(axis=1))
    return np.concatenate(means)


@dataclass(frozen=True)
class Lift:
    treated_clients: int
    treated_conversions: int
    control_clients: int
    control_conversions: int
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None
    incremental_revenue_clp: float | None = None
    incremental_revenue_low: float | None = None
    incremental_revenue_high: float | None = None
    verdict: str = INSUFFICIENT


def verdict(treated_clients, treated_conversions, control_clients, control_conversions, low, high) -> str:
    if min(treated_clients, control_clients) < MIN_ARM_CLIENTS:
        return INSUFFICIENT
    if min(treated_conversions, control_conversions) < MIN_ARM_CONVERSIONS:
        return INSUFFICIENT
    if low <= 0 <= high:
        return NO_EFFECT
    return POSITIVE if low > 0 else NEGATIVE


def lift(treated_revenue: list[float], control_revenue: list[float]) -> Lift:
    """The whole comparison from each client's paid CLP per arm (> 0 means converted).

    A client converts when they paid for a booking in the window; what they paid is
    the revenue. Intervals are computed whenever both arms have clients; the verdict
    still says "insufficient" below the minimum sizes.
    """
    nt, nc = len(treated_revenue), len(control_revenue)
    xt = sum(1 for v in treated_revenue if v > 0)
    xc = sum(1 for v in control_revenue if v > 0)
    if not nt or not nc:
        return Lift(nt, xt, nc, xc)
    d, low, high = newcombe_difference(xt, nt, xc, nc)
    rev, rev_low, rev_high = incremental_revenue(treated_revenue, control_revenue)
    return Lift(nt, xt, nc, xc, d, low, high, rev, rev_low, rev_high, verdict(nt, xt, nc, xc, low, high))
