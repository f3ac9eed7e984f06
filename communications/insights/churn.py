"""Churn risk: the probability of no purchase occasion within the next horizon.

scikit-learn's estimator contract, with time in place of rows: ``fit`` sees only
occasions before ``as_of`` (labels inside [as_of − L, as_of)), ``predict`` builds
features from occasions before the scoring time and nothing else, so adding rows
after a cutoff can never move a prediction for it. Probabilities are calibrated on
a later time slice than the one the base model learnt from, never by random folds.

Input is plain data: ``{customer: [(date, amount), ...]}`` with one entry per
purchase occasion (same-day rows summed by ``occasions``).
"""

import datetime as dt
import functools
import math
from collections import defaultdict

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

AUC_MARGIN = 0.005  # the model ships only when it beats the best baseline by this much (issue 10)
MIN_TRAIN_ROWS = 30


# One thread: OpenMP across busy shared cores made a 400-row fit 17x slower than serial,
# and the worker scores in chunks anyway.
def single_threaded(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


def occasions(rows) -> dict:
    """(customer, date, amount) rows → {customer: [(date, summed amount), ...]} sorted by date."""
    by_day = defaultdict(float)
    for customer, day, amount in rows:
        by_day[(customer, day)] += amount
    out = defaultdict(list)
    for (customer, day), amount in by_day.items():
        out[customer].append((day, amount))
    for history in out.values():
        history.sort()
    return dict(out)


def _before(history, at):
    return [(d, a) for d, a in history if d < at]


def label_churned(history, start: dt.date, days: int) -> int:
    """1 when there is no occasion in [start, start + days)."""
    end = start + dt.timedelta(days=days)
    return int(not any(start <= d < end for d, _ in history))


RFM_NAMES = ("recency_days", "log_occasions", "log_mean_amount", "tenure_days")


def rfm_features(past, at) -> list[float]:
    days = [d for d, _ in past]
    amounts = [a for _, a in past]
    return [
        float((at - days[-1]).days),
        math.log1p(len(days)),
        math.log1p(sum(amounts) / len(amounts)),
        float((at - days[0]).days),
    ]


FEATURE_NAMES = RFM_NAMES + (
    "log_total_amount",
    "occasions_90d",
    "occasions_180d",
    "occasions_365d",
    "mean_gap_days",
    "gap_cv",
    "overdue_ratio",
    "last_gap_days",
    "last_amount_ratio",
    "month_sin",
    "month_cos",
)


def features(past, at) -> list[float]:
    """Features of one customer at ``at`` from occasions strictly before it (``past`` sorted)."""
    base = rfm_features(past, at)
    days = [d for d, _ in past]
    amounts = [a for _, a in past]
    recency, _, _, tenure = base
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    mean_gap = sum(gaps) / len(gaps) if gaps else tenure + recency + 365.0
    if len(gaps) >= 2:
        sd = math.sqrt(sum((g - mean_gap) ** 2 for g in gaps) / len(gaps))
        cv = sd / mean_gap if mean_gap else 0.0
    else:
        cv = -1.0
    month = days[-1].month
    return base + [
        math.log1p(sum(amounts)),
        float(sum(1 for d in days if (at - d).days <= 90)),
        float(sum(1 for d in days if (at - d).days <= 180)),
        float(sum(1 for d in days if (at - d).days <= 365)),
        mean_gap,
        cv,
        recency / max(mean_gap, 1.0),
        float(gaps[-1]) if gaps else -1.0,
        amounts[-1] / (sum(amounts) / len(amounts)),
        math.sin(2 * math.pi * month / 12),
        math.cos(2 * math.pi * month / 12),
    ]


def snapshot(history_by_customer: dict, at: dt.date, horizon: int | None, feature_fn=features):
    """Customers with an occasion before ``at``: (ids, X, y); y is None without a horizon."""
    ids, xs, ys = [], [], []
    for customer in sorted(history_by_customer):
        history = history_by_customer[customer]
        past = _before(history, at)
        if not past:
            continue
        ids.append(customer)
        xs.append(feature_fn(past, at))
        if horizon is not None:
            ys.append(label_churned(history, at, horizon))
    x = np.array(xs, dtype=float) if xs else np.zeros((0, len(feature_fn([(at, 1.0)], at))))
    return ids, x, (np.array(ys, dtype=int) if horizon is not None else None)


class _Constant:
    def __init__(self, rate):
        self.rate = float(rate)

    def predict_proba(self, x):
        return np.column_stack([np.full(len(x), 1 - self.rate), np.full(len(x), self.rate)])


def _usable(y) -> bool:
    return y is not None and len(y) >= 2 and 0 < y.sum() < len(y)


class ChurnModel:
    """Gradient-boosted trees over RFM, rhythm and season features; Platt-calibrated on a later slice."""

    version = "churn-hgb-1"

    def __init__(self, horizon_days=180, label_days=None, seed=0):
        self.horizon_days = horizon_days
        self.label_days = label_days
        self.seed = seed

    def _base(self):
        return HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            random_state=self.seed,
        )

    @single_threaded
    def fit(self, history_by_customer: dict, as_of: dt.date):
        """Learn from occasions before ``as_of`` only: labels in [as_of − L, as_of)."""
        label_days = self.label_days or default_label_days(history_by_customer, as_of, self.horizon_days)
        self.label_days_ = label_days
        t0 = as_of - dt.timedelta(days=label_days)
        _, x_late, y_late = snapshot(history_by_customer, t0, label_days)
        # The base model learns from earlier snapshots (labels end before the cutoff);
        # the latest snapshot is kept apart to calibrate on.
        step = max(7, label_days // 4)
        early = [snapshot(history_by_customer, t0 - dt.timedelta(days=step * k), label_days) for k in (1, 2, 3)]
        x_early = np.vstack([x for _, x, _ in early])
        y_early = np.concatenate([y for _, _, y in early])
        self.calibrated_ = False
        if _usable(y_early) and len(y_early) >= MIN_TRAIN_ROWS and _usable(y_late):
            self.base_ = self._base().fit(x_early, y_early)
            raw = self._logit(self.base_.predict_proba(x_late)[:, 1])
            self.calibrator_ = LogisticRegression(C=1.0).fit(raw.reshape(-1, 1), y_late)
            self.calibrated_ = True
        elif _usable(y_late) and len(y_late) >= MIN_TRAIN_ROWS:
            self.base_ = self._base().fit(x_late, y_late)
        elif _usable(y_late):
            # Too little history for trees: the RFM logistic regression is the honest model.
            self.base_ = _scaled_logistic().fit(x_late[:, : len(RFM_NAMES)], y_late)
            self.rfm_only_ = True
        else:
            self.base_ = _Constant(y_late.mean() if y_late is not None and len(y_late) else 0.5)
        return self

    @staticmethod
    def _logit(p):
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    @single_threaded
    def predict_proba(self, x) -> np.ndarray:
        """P(churn) for rows of ``features``."""
        if not len(x):
            return np.zeros(0)
        if getattr(self, "rfm_only_", False):
            return self.base_.predict_proba(x[:, : len(RFM_NAMES)])[:, 1]
        p = self.base_.predict_proba(x)[:, 1]
        if self.calibrated_:
            p = self.calibrator_.predict_proba(self._logit(p).reshape(-1, 1))[:, 1]
        return p

    def score(self, history_by_customer: dict, at: dt.date) -> dict:
        """{customer: P(churn)} for every customer with an occasion before ``at``."""
        ids, x, _ = snapshot(history_by_customer, at, None)
        return dict(zip(ids, self.predict_proba(x).tolist(), strict=True))


class _ScaledLogistic:
    def __init__(self):
        self.scaler = StandardScaler()
        self.model = LogisticRegression(C=1.0)

    def fit(self, x, y):
        self.model.fit(self.scaler.fit_transform(x), y)
        return self

    def predict_proba(self, x):
        return self.model.predict_proba(self.scaler.transform(x))


def _scaled_logistic():
    return _ScaledLogistic()


def default_label_days(history_by_customer: dict, cutoff: dt.date, horizon: int) -> int:
    """The smaller of the horizon and half the span from the first date in the data to the cutoff."""
    first = min((h[0][0] for h in history_by_customer.values() if h), default=cutoff)
    return max(1, min(horizon, (cutoff - first).days // 2))


def _metrics(y, p, mask, brier=True):
    y, p = y[mask], p[mask]
    if len(y) == 0:
        return None, None
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    return auc, float(brier_score_loss(y, p, pos_label=1)) if brier else None


def _report(y, p, repeaters, rank=None):
    everyone = np.ones(len(y), dtype=bool)
    auc, brier = _metrics(y, p, everyone)
    auc_r, brier_r = _metrics(y, p, repeaters)
    if rank is not None:  # recency is a ranking; its AUC needs no fitted probability
        auc, _ = _metrics(y, rank, everyone, brier=False)
        auc_r, _ = _metrics(y, rank, repeaters, brier=False)
    return {"auc": auc, "auc_repeaters": auc_r, "brier": brier, "brier_repeaters": brier_r}


def calibration_table(y, p, bins=10) -> list[dict]:
    rows = []
    index = np.minimum((p * bins).astype(int), bins - 1)
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        rows.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "n": n,
                "mean_predicted": float(p[mask].mean()) if n else None,
                "observed": float(y[mask].mean()) if n else None,
            }
        )
    return rows


class EvaluationError(ValueError):
    pass


@single_threaded
def evaluate(history_by_customer: dict, cutoff: dt.date, horizon_days: int, label_days=None, seed=0) -> dict:
    """The churn_evaluate protocol (specs/insights.md): model and baselines in one run."""
    last = max((h[-1][0] for h in history_by_customer.values() if h), default=None)
    if last is None:
        raise EvaluationError("no_data")
    window_end = cutoff + dt.timedelta(days=horizon_days - 1)
    if window_end > last:
        raise EvaluationError("window_after_data", window_end, last)
    label_days = label_days or default_label_days(history_by_customer, cutoff, horizon_days)
    train_at = cutoff - dt.timedelta(days=label_days)
    # Only occasions before the cutoff exist for everything that is fitted.
    past_only = {c: _before(h, cutoff) for c, h in history_by_customer.items()}
    past_only = {c: h for c, h in past_only.items() if h}

    model = ChurnModel(horizon_days, label_days, seed).fit(past_only, cutoff)
    ids, x, y = snapshot(history_by_customer, cutoff, horizon_days)
    if not ids:
        raise EvaluationError("no_customers")
    repeaters = np.array([len(past_only[c]) >= 2 for c in ids])
    p_model = model.predict_proba(x)

    _, x_train, y_train = snapshot(past_only, train_at, label_days)
    rfm = slice(0, len(RFM_NAMES))
    recency = x[:, :1]
    if _usable(y_train):
        p_recency = _scaled_logistic().fit(x_train[:, :1], y_train).predict_proba(recency)[:, 1]
        p_rfm = _scaled_logistic().fit(x_train[:, rfm], y_train).predict_proba(x[:, rfm])[:, 1]
    else:
        rate = float(y_train.mean()) if y_train is not None and len(y_train) else 0.5
        p_recency = p_rfm = np.full(len(ids), rate)

    result = {
        "customers": len(ids),
        "repeaters": int(repeaters.sum()),
        "label_days": label_days,
        "calibrated": bool(model.calibrated_),
        "model": _report(y, p_model, repeaters),
        "baselines": {
            "recency": _report(y, p_recency, repeaters, rank=recency[:, 0]),
            "rfm_logistic": _report(y, p_rfm, repeaters),
        },
        "calibration": calibration_table(y, p_model),
        "churn_rate": float(y.mean()),
    }
    result["in_use"] = choose(result, "auc", AUC_MARGIN, relative=False)
    return result


def choose(result: dict, metric: str, margin: float, relative: bool) -> str:
    """ "modelo" when the model beats the best baseline by the margin, else "línea base: <name>"."""
    scored = {name: r[metric] for name, r in result["baselines"].items() if r.get(metric) is not None}
    model = result["model"].get(metric)
    if not scored:
        return "modelo"
    best = max(sorted(scored), key=lambda n: scored[n])
    need = scored[best] * (1 + margin) if relative else scored[best] + margin
    if model is not None and model >= need:
        return "modelo"
    return f"línea base: {best}"


def reasons(past, at) -> list[str]:
    """Up to three plain-Spanish reasons behind a client's risk, from the same facts the model reads."""
    from django.utils.translation import gettext as _

    f = dict(zip(FEATURE_NAMES, features(past, at), strict=True))
    out = []
    if f["recency_days"] >= 180:
        out.append(_("Sin visitas pagadas hace %(d)d días") % {"d": f["recency_days"]})
    if f["mean_gap_days"] and len(past) >= 2 and f["overdue_ratio"] >= 1.5:
        out.append(_("Atrasado respecto a su ritmo habitual (cada %(g)d días)") % {"g": f["mean_gap_days"]})
    if len(past) == 1:
        out.append(_("Una sola visita"))
    if f["occasions_365d"] == 0 and len(past) >= 2:
        out.append(_("Ninguna visita en el último año"))
    if f["last_amount_ratio"] < 0.6 and len(past) >= 2:
        out.append(_("Su último gasto fue menor que su promedio"))
    return out[:3]


def baseline_scorer(name: str, history_by_customer: dict, as_of: dt.date, horizon_days: int):
    """The fallback when a baseline won: fitted like the model, scoring {customer: P(churn)}."""
    label_days = default_label_days(history_by_customer, as_of, horizon_days)
    _, x_train, y_train = snapshot(history_by_customer, as_of - dt.timedelta(days=label_days), label_days)
    columns = slice(0, 1) if name == "recency" else slice(0, len(RFM_NAMES))
    fitted = _scaled_logistic().fit(x_train[:, columns], y_train) if _usable(y_train) else None

    def score(history, at):
        ids, x, _ = snapshot(history, at, None)
        if fitted is None:
            return dict.fromkeys(ids, float(y_train.mean()) if y_train is not None and len(y_train) else 0.5)
        return dict(zip(ids, fitted.predict_proba(x[:, columns])[:, 1].tolist(), strict=True))

    return score
