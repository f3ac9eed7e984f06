"""Best send time: the local hour at which a client tends to engage.

The client's own events (recency-weighted, counted in a ±1 h window) shrunk toward
the population's best hours when the client has few of them, restricted to the
allowed hours. Prior strength and half-life are chosen on an earlier split of the
past, never on the evaluated window. Plain data in, plain data out.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

HIT_MARGIN = 0.03  # relative


def circular(a: int, b: int) -> int:
    d = abs(a - b) % 24
    return min(d, 24 - d)


def parse_allowed(text: str | None) -> list[int]:
    """``A-B`` → hours A … B−1; None → every hour."""
    if not text:
        return list(range(24))
    start, _, end = text.partition("-")
    a, b = int(start), int(end)
    if not (0 <= a < b <= 24):
        raise ValueError(text)
    return list(range(a, b))


def events_by_customer(rows) -> dict:
    """(customer, timestamp) rows → {customer: sorted distinct timestamps}."""
    out = defaultdict(set)
    for customer, when in rows:
        out[customer].add(when)
    return {c: sorted(ts) for c, ts in out.items()}


def window_counts(hours_weights, allowed) -> dict:
    """For each allowed hour, the weight of events within ±1 h (circular)."""
    per_hour = Counter()
    for hour, weight in hours_weights:
        per_hour[hour] += weight
    return {h: sum(per_hour[(h + d) % 24] for d in (-1, 0, 1)) for h in allowed}


def _pick(scores: dict, population: dict) -> int:
    """Highest score; ties to the population's ±1 h count, then the smaller hour."""
    return min(scores, key=lambda h: (-round(scores[h], 12), -population.get(h, 0), h))


class Population:
    def __init__(self, before: dict, allowed):
        self.allowed = list(allowed)
        self.window = window_counts([(t.hour, 1) for ts in before.values() for t in ts], self.allowed)
        total = sum(self.window.values()) or 1
        self.share = {h: c / total for h, c in self.window.items()}
        self.best = _pick(self.window, self.window)


def fixed_10(past, population: Population) -> int:
    return min(population.allowed, key=lambda h: (circular(h, 10), h))


def population_best(past, population: Population) -> int:
    return population.best


def own_mode(past, population: Population) -> int:
    counts = Counter(t.hour for t in past)
    return _pick({h: counts[h] for h in population.allowed}, population.window)


def own_window(past, population: Population) -> int:
    return _pick(window_counts([(t.hour, 1) for t in past], population.allowed), population.window)


@dataclass(frozen=True)
class Params:
    prior: float = 1.0  # events' worth of population share added to every hour
    half_life_days: float = 0.0  # 0: every event counts the same


GRID = [Params(p, h) for p in (0.25, 1.0, 3.0) for h in (0.0, 90.0, 365.0)]


class SendTimeModel:
    version = "sendtime-shrink-1"

    def __init__(self, params: Params | None = None):
        self.params = params or Params()

    def choose(self, past, population: Population, at: dt.datetime | None = None) -> int:
        p = self.params
        if p.half_life_days and at is not None:
            weighted = [(t.hour, 0.5 ** ((at - t).total_seconds() / 86400 / p.half_life_days)) for t in past]
        else:
            weighted = [(t.hour, 1.0) for t in past]
        own = window_counts(weighted, population.allowed)
        scores = {h: own[h] + p.prior * 3 * population.share[h] for h in population.allowed}
        return _pick(scores, population.window)

    def fit(self, events: dict, cutoff: dt.datetime, allowed, history_last=None):
        """Choose prior and half-life on the last quarter of the time before ``cutoff``."""
        before = {c: [t for t in ts if t < cutoff] for c, ts in events.items()}
        stamps = [t for ts in before.values() for t in ts]
        if not stamps:
            return self
        inner = cutoff - (cutoff - min(stamps)) / 4
        cases, population = _cases(before, inner, allowed, history_last)
        if not cases:
            return self
        best, best_score = self.params, -1.0
        for params in GRID:
            trial = SendTimeModel(params)
            score = sum(_hit(trial.choose(past, population, inner), after) for past, after in cases) / len(cases)
            if score > best_score + 1e-12:
                best, best_score = params, score
        self.params = best
        return self


def _hit(hour: int, after) -> float:
    return sum(1 for t in after if circular(t.hour, hour) <= 1) / len(after)


def _cases(events: dict, cutoff, allowed, history_last=None):
    before = {c: [t for t in ts if t < cutoff] for c, ts in events.items()}
    population = Population(before, allowed)
    cases = []
    for c in sorted(events):
        past = before[c]
        after = [t for t in events[c] if t >= cutoff]
        if history_last:
            past = past[-history_last:]
        if len(past) >= 2 and after:
            cases.append((past, after))
    return cases, population


def evaluate(rows, cutoff: dt.datetime, allowed=None, history_last=None) -> dict:
    """The sendtime_evaluate protocol (specs/insights.md)."""
    allowed = list(allowed) if allowed is not None else list(range(24))
    events = events_by_customer(rows)
    cases, population = _cases(events, cutoff, allowed, history_last)
    model = SendTimeModel().fit(events, cutoff, allowed, history_last)
    policies = {
        "model": lambda past: model.choose(past, population, cutoff),
        "fixed_10": lambda past: fixed_10(past, population),
        "population_best": lambda past: population_best(past, population),
        "own_mode": lambda past: own_mode(past, population),
        "own_window": lambda past: own_window(past, population),
    }
    out = {}
    for name, policy in policies.items():
        total = sum(_hit(policy(past), after) for past, after in cases)
        out[name] = {"hit_pm1h": total / len(cases) if cases else None}
    result = {
        "customers": len(cases),
        "population_best_hour": population.best,
        "model": out.pop("model"),
        "baselines": out,
        "params": model.params.__dict__,
    }
    from .churn import choose

    result["in_use"] = choose(result, "hit_pm1h", HIT_MARGIN, relative=True)
    return result
