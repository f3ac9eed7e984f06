"""Insight models see only the past: rows after the cutoff, or their order, change no prediction."""

import datetime as dt
import random

from communications.insights import churn, recommend, sendtime

CUTOFF = dt.datetime(2024, 7, 1)


def purchase_rows(seed=1, customers=150):
    rng = random.Random(seed)
    rows = []
    for c in range(customers):
        day = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(400))
        gap = rng.choice([20, 45, 90, 200])
        while day < dt.date(2025, 3, 1):
            rows.append((f"c{c}", day, float(rng.randrange(10, 200))))
            day += dt.timedelta(days=max(1, int(rng.expovariate(1 / gap))))
            if rng.random() < 0.05:
                break
    return rows


def item_rows(seed=2, customers=80):
    rng = random.Random(seed)
    rows = []
    for c in range(customers):
        favourite = rng.choice("abcdef")
        when = dt.datetime(2023, 1, 1, 9) + dt.timedelta(hours=rng.randrange(5000))
        for _ in range(rng.randrange(2, 8)):
            rows.append((f"c{c}", favourite if rng.random() < 0.6 else rng.choice("abcdefgh"), when, None))
            when += dt.timedelta(days=rng.randrange(10, 120), hours=rng.randrange(5))
    return rows


def event_rows(seed=3, customers=80):
    rng = random.Random(seed)
    rows = []
    for c in range(customers):
        hour = rng.choice([9, 12, 18, 21])
        when = dt.datetime(2023, 6, 1)
        for _ in range(rng.randrange(2, 12)):
            when += dt.timedelta(days=rng.randrange(5, 60))
            rows.append((f"c{c}", when.replace(hour=(hour + rng.choice([-1, 0, 0, 1])) % 24)))
    return rows


def churn_scores(rows):
    history = churn.occasions(rows)
    past = {c: [o for o in h if o[0] < CUTOFF.date()] for c, h in history.items()}
    model = churn.ChurnModel(horizon_days=180, seed=7).fit(past, CUTOFF.date())
    return model.score(history, CUTOFF.date())


def test_rows_after_the_cutoff_change_no_churn_score():
    rows = purchase_rows()
    later = [(c, dt.date(2024, 8, 1) + dt.timedelta(days=i), 999.0) for i, (c, _, _) in enumerate(rows[:200])]
    assert churn_scores(rows) == churn_scores(rows + later)


def test_shuffled_rows_give_the_same_churn_scores():
    rows = purchase_rows()
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    assert churn_scores(rows) == churn_scores(shuffled)


def test_training_labels_end_before_the_evaluated_window():
    history = churn.occasions(purchase_rows())
    model = churn.ChurnModel(horizon_days=180).fit(history, CUTOFF.date())
    # Features at cutoff − L, labels in [cutoff − L, cutoff): nothing at or after the cutoff.
    assert model.label_days_ <= 180
    result = churn.evaluate(history, CUTOFF.date(), 180)
    assert result["label_days"] == model.label_days_


def test_the_same_data_and_seed_give_the_same_churn_scores():
    assert churn_scores(purchase_rows()) == churn_scores(purchase_rows())


def recommendations(rows):
    baskets = recommend.baskets(rows)
    model = recommend.Recommender().fit(baskets, CUTOFF)
    history = recommend.History(baskets, CUTOFF)
    return {c: model.recommend(history, c, 3) for c in sorted(history.by_customer)}, model.weights


def test_rows_after_the_cutoff_change_no_recommendation():
    rows = item_rows()
    later = [(c, "h", CUTOFF + dt.timedelta(days=i % 30), None) for i, (c, _, _, _) in enumerate(rows)]
    assert recommendations(rows) == recommendations(rows + later)


def test_shuffled_rows_give_the_same_recommendations():
    rows = item_rows()
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    assert recommendations(rows) == recommendations(shuffled)


def send_hours(rows, allowed=range(9, 20)):
    events = sendtime.events_by_customer(rows)
    before = {c: [t for t in ts if t < CUTOFF] for c, ts in events.items()}
    population = sendtime.Population(before, allowed)
    model = sendtime.SendTimeModel().fit(events, CUTOFF, allowed)
    return {c: model.choose(ts, population, CUTOFF) for c, ts in before.items() if ts}, model.params


def test_rows_after_the_cutoff_change_no_send_hour():
    rows = event_rows()
    later = [(c, CUTOFF + dt.timedelta(hours=3 + i)) for i, (c, _) in enumerate(rows)]
    assert send_hours(rows) == send_hours(rows + later)


def test_shuffled_events_give_the_same_send_hours_and_only_allowed_ones():
    rows = event_rows()
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    hours, _ = send_hours(rows)
    assert send_hours(shuffled) == send_hours(rows)
    assert set(hours.values()) <= set(range(9, 20))
