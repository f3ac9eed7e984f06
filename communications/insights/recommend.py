"""Service recommendations: what a client comes back for, what similar clients combine.

Plain data in (rows of customer, item, time, basket), plain data out. Every scorer
sees only baskets before the cutoff and backfills from popularity. The model blends
buy-again frequency (recency-weighted), item co-occurrence and popularity; its
weights are chosen on an earlier split of the past (fit on the past, no state from
the evaluated window), and one slot may be kept for an item new to the client.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse

HIT_MARGIN = 0.03  # relative; the model ships only when it beats the best baseline by this much
KNN_KEEP = 300  # candidates kept per client from co-occurrence (ties at the edge beyond this are rare)
POPULAR_KEEP = 100  # the popularity term only ever lifts the most popular items


@dataclass(frozen=True)
class Basket:
    customer: str
    key: str
    time: dt.datetime
    items: frozenset


def baskets(rows) -> list[Basket]:
    """(customer, item, time, basket_id|None) → baskets; a basket's time is its earliest row."""
    grouped = defaultdict(lambda: [None, set()])
    for customer, item, when, basket_id in rows:
        key = (customer, f"b:{basket_id}" if basket_id else f"t:{when.isoformat()}")
        entry = grouped[key]
        entry[0] = when if entry[0] is None or when < entry[0] else entry[0]
        entry[1].add(item)
    out = [Basket(c, k, t, frozenset(items)) for (c, k), (t, items) in grouped.items()]
    out.sort(key=lambda b: (b.customer, b.time, b.key))
    return out


class History:
    """What is known at ``cutoff``: baskets strictly before it."""

    def __init__(self, all_baskets, cutoff: dt.datetime):
        self.cutoff = cutoff
        self.by_customer = defaultdict(list)
        for b in all_baskets:
            if b.time < cutoff:
                self.by_customer[b.customer].append(b)
        self.items = sorted({i for bs in self.by_customer.values() for b in bs for i in b.items})
        recent_from = cutoff - dt.timedelta(days=30)
        self.recent = Counter()
        self.all_time = Counter()
        self.owners = defaultdict(set)
        for customer, bs in self.by_customer.items():
            for b in bs:
                for i in b.items:
                    self.all_time[i] += 1
                    self.owners[i].add(customer)
                    if b.time >= recent_from:
                        self.recent[i] += 1
        self.popular = sorted(self.items, key=lambda i: (-self.recent[i], -self.all_time[i], i))
        self.pop_rank = {i: r for r, i in enumerate(self.popular)}
        self._sim = None

    def similarity(self):
        """Cosine similarity of items on the binary customer × item matrix, self-pairs removed (sparse)."""
        if self._sim is None:
            self.index = {i: n for n, i in enumerate(self.items)}
            rows, cols = [], []
            for r, customer in enumerate(sorted(self.by_customer)):
                for i in self.owned(customer):
                    rows.append(r)
                    cols.append(self.index[i])
            x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(self.by_customer), len(self.items)))
            co = (x.T @ x).tolil()
            co.setdiag(0)
            co = co.tocsr()
            co.eliminate_zeros()
            inv = 1 / np.sqrt(np.maximum(np.asarray(x.sum(axis=0)).ravel(), 1))
            self._sim = (sparse.diags(inv) @ co @ sparse.diags(inv)).tocsr()
        return self._sim

    def knn(self, customer) -> dict:
        cache = self.__dict__.setdefault("_knn", {})
        if customer not in cache:
            cache[customer] = knn_scores(self, customer)
        return cache[customer]

    def owned(self, customer) -> set:
        return {i for b in self.by_customer.get(customer, ()) for i in b.items}


def _rank(scores: dict, history: History, k: int, exclude=frozenset()) -> list:
    """Top k by score (> 0), ties and backfill by popularity order."""
    ranked = sorted(
        (i for i, s in scores.items() if s > 0 and i not in exclude), key=lambda i: (-scores[i], history.pop_rank[i])
    )
    out = ranked[:k]
    for i in history.popular:
        if len(out) >= k:
            break
        if i not in exclude and i not in out:
            out.append(i)
    return out


def popularity(history, customer, k, exclude=frozenset()):
    return _rank({}, history, k, exclude)


def buy_again(history, customer, k, exclude=frozenset()):
    bs = history.by_customer.get(customer, [])
    count, last = Counter(), {}
    for b in bs:
        for i in b.items:
            count[i] += 1
            last[i] = max(last.get(i, b.time), b.time)
    # Count first, then the most recent purchase: a fraction below 1 orders by recency.
    newest = max(last.values()) if last else None
    scores = {i: count[i] + 1 / (2 + (newest - last[i]).total_seconds() / 86400) for i in count}
    return _rank(scores, history, k, exclude)


def knn_scores(history, customer, keep=KNN_KEEP) -> dict:
    """s(j) = Σ_{i ∈ H, i ≠ j} c_ij / √(n_i n_j); only the ``keep`` best (ranking needs the top k)."""
    owned = history.owned(customer)
    if not owned or not history.items:
        return {}
    sim = history.similarity()
    vector = np.asarray(sim[sorted(history.index[i] for i in owned)].sum(axis=0)).ravel()
    nonzero = np.flatnonzero(vector > 0)
    if len(nonzero) > keep:
        nonzero = nonzero[np.argpartition(-vector[nonzero], keep)[:keep]]
    # Rounded so that equal sums reached in a different order tie exactly (then popularity decides).
    return {history.items[j]: round(float(vector[j]), 12) for j in nonzero}


def item_knn(history, customer, k, exclude=frozenset()):
    return _rank(history.knn(customer), history, k, exclude)


@dataclass(frozen=True)
class Weights:
    half_life_days: float = 180.0
    knn: float = 0.5
    popularity: float = 0.2
    season: float = 0.3
    cross_sell: bool = False
    repeat: float = 1.0


GRID = [
    Weights(h, kn, pop, season, cross, repeat)
    for h in (60.0, 365.0)
    for kn in (0.0, 0.5, 3.0)
    for pop in (0.0, 0.3)
    for season in (0.0, 0.5)
    for cross in (False, True)
    for repeat in (0.0, 1.0)
    if repeat or kn  # a blend needs the client's own history one way or the other
]


class Recommender:
    """Blend of recency-weighted buy-again, co-occurrence, popularity and same-season purchases."""

    version = "rec-blend-1"

    def __init__(self, weights: Weights | None = None):
        self.weights = weights or Weights()

    def scores(self, history: History, customer) -> dict:
        w = self.weights
        scores = defaultdict(float)
        month = history.cutoff.month
        for b in history.by_customer.get(customer, ()):
            age = (history.cutoff - b.time).total_seconds() / 86400
            decay = 0.5 ** (age / w.half_life_days)
            same_season = min(abs(b.time.month - month), 12 - abs(b.time.month - month)) <= 1
            for i in b.items:
                scores[i] += w.repeat * (1.0 + decay + (w.season if same_season else 0.0))
        if w.knn:
            for j, s in history.knn(customer).items():
                scores[j] += w.knn * s
        if w.popularity:
            top = max(history.recent.values(), default=0) or 1
            for i in history.popular[:POPULAR_KEEP]:
                scores[i] += w.popularity * history.recent[i] / top
        return scores

    def recommend(self, history: History, customer, k: int, exclude=frozenset()) -> list:
        scores = self.scores(history, customer)
        if not self.weights.cross_sell or k < 2:
            return _rank(scores, history, k, exclude)
        owned = history.owned(customer)
        top = _rank(scores, history, k - 1, exclude)
        fresh = _rank(scores, history, 1, exclude | owned | set(top))
        return top + fresh if fresh else _rank(scores, history, k, exclude)

    def fit(self, all_baskets, cutoff: dt.datetime, k: int = 3):
        """Choose the weights on the last stretch before ``cutoff`` (never at or after it)."""
        before = [b for b in all_baskets if b.time < cutoff]
        if not before:
            return self
        first = min(b.time for b in before)
        inner = cutoff - (cutoff - first) / 4
        best, best_score = self.weights, -1.0
        history = History(before, inner)
        cases = _cases(before, history, inner)
        if not cases:
            return self
        for w in GRID:
            trial = Recommender(w)
            hits = sum(1 for c, target in cases if set(trial.recommend(history, c, k)) & target)
            score = hits / len(cases)
            if score > best_score + 1e-12:
                best, best_score = w, score
        self.weights = best
        return self


def _cases(all_baskets, history: History, cutoff):
    """(customer, target items) for customers with ≥ 2 baskets before and ≥ 1 at or after ``cutoff``."""
    firsts = {}
    for b in all_baskets:
        if b.time >= cutoff and len(history.by_customer.get(b.customer, ())) >= 2:
            current = firsts.get(b.customer)
            if current is None or (b.time, b.key) < (current.time, current.key):
                firsts[b.customer] = b
    return [(c, set(firsts[c].items)) for c in sorted(firsts)]


def _metrics(recommended: list, target: set, k: int) -> tuple[float, float, float]:
    rel = [1 if i in target else 0 for i in recommended[:k]]
    hits = sum(rel)
    ap, seen = 0.0, 0
    for pos, r in enumerate(rel, start=1):
        if r:
            seen += 1
            ap += seen / pos
    return float(hits >= 1), hits / len(target), ap / min(k, len(target))


def evaluate(rows, cutoff: dt.datetime, k: int = 3) -> dict:
    """The recommend_evaluate protocol (specs/insights.md)."""
    all_baskets = baskets(rows)
    history = History(all_baskets, cutoff)
    cases = _cases(all_baskets, history, cutoff)
    model = Recommender().fit(all_baskets, cutoff, k)
    scorers = {
        "model": lambda c, exclude: model.recommend(history, c, k, exclude),
        "popularity": lambda c, exclude: popularity(history, c, k, exclude),
        "buy_again": lambda c, exclude: buy_again(history, c, k, exclude),
        "item_knn": lambda c, exclude: item_knn(history, c, k, exclude),
    }
    out = {}
    for name, scorer in scorers.items():
        sums = [0.0, 0.0, 0.0]
        new_hits, new_n = 0.0, 0
        for customer, target in cases:
            hit, recall, ap = _metrics(scorer(customer, frozenset()), target, k)
            sums[0] += hit
            sums[1] += recall
            sums[2] += ap
            owned = history.owned(customer)
            fresh = target - owned
            if fresh:
                new_n += 1
                new_hits += _metrics(scorer(customer, frozenset(owned)), fresh, k)[0]
        n = len(cases) or 1
        out[name] = {
            f"hit@{k}": sums[0] / n if cases else None,
            f"recall@{k}": sums[1] / n if cases else None,
            f"map@{k}": sums[2] / n if cases else None,
            f"new_items_hit@{k}": new_hits / new_n if new_n else None,
        }
    result = {
        "customers": len(cases),
        "items": len(history.items),
        "model": out.pop("model"),
        "baselines": out,
        "weights": model.weights.__dict__,
    }
    from .churn import choose

    result["in_use"] = choose(result, f"hit@{k}", HIT_MARGIN, relative=True)
    return result
