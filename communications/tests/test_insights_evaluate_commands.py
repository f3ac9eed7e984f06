"""The three evaluation commands on tiny logs whose figures are worked out by hand."""

import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return str(path)


def run_json(command, *args):
    import io

    out = io.StringIO()
    call_command(command, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


# Cutoff 2024-07-01, horizon 30 days: the label window is [07-01, 07-31).
# Churned (no occasion in the window): C (recency 30), E (122), F (91).
# Stayed: A (6), B (11), D (61). Recency ranks 8 of the 9 churned/stayed pairs right.
CHURN_LOG = """
customer_id,date,amount,store
A,2024-01-10,100,x
A,2024-06-25,40,x
A,2024-06-25,60,x
A,2024-07-05,50,x
B,2024-06-20,70,x
B,2024-07-10,70,x
C,2024-06-01,30,x
D,2024-02-01,20,x
D,2024-05-01,20,x
D,2024-07-15,20,x
E,2024-03-01,90,x
F,2024-04-01,10,x
G,2024-08-15,10,x
,2024-05-01,10,x
H,2024-05-01,0,x
"""


def test_churn_evaluate_reports_the_hand_computed_recency_auc_and_counts(tmp_path):
    result = run_json(
        "churn_evaluate", "--csv", write(tmp_path, "p.csv", CHURN_LOG), "--cutoff", "2024-07-01", "--horizon-days", "30"
    )
    assert result["customers"] == 6
    assert result["repeaters"] == 2  # A (two days) and D; A's same-day rows are one occasion
    assert result["skipped_rows"] == 2  # the empty customer id and the zero amount
    assert result["baselines"]["recency"]["auc"] == pytest.approx(8 / 9, abs=1e-4)
    assert result["baselines"]["recency"]["auc_repeaters"] is None  # both repeaters stayed: no AUC
    for block in [result["model"], *result["baselines"].values()]:
        assert set(block) == {"auc", "auc_repeaters", "brier", "brier_repeaters"}
        assert 0 <= block["brier"] <= 1
    assert len(result["calibration"]) == 10
    assert sum(row["n"] for row in result["calibration"]) == 6


def test_churn_evaluate_refuses_a_label_window_that_ends_after_the_data(tmp_path):
    path = write(tmp_path, "p.csv", CHURN_LOG)
    with pytest.raises(CommandError, match="después del último dato"):
        call_command("churn_evaluate", "--csv", path, "--cutoff", "2024-08-01", "--horizon-days", "30")


def test_churn_evaluate_names_the_line_of_a_bad_amount(tmp_path):
    path = write(tmp_path, "p.csv", "customer_id,date,amount\nA,2024-01-01,10\nB,2024-01-02,diez\n")
    with pytest.raises(CommandError, match="línea 3: monto no válido"):
        call_command("churn_evaluate", "--csv", path, "--cutoff", "2024-01-02", "--horizon-days", "1")


def test_a_timestamp_with_an_offset_is_an_error_naming_its_line(tmp_path):
    path = write(tmp_path, "e.csv", "customer_id,timestamp\nA,2024-01-01T10:00\nA,2024-01-02T10:00+02:00\n")
    with pytest.raises(CommandError, match="línea 3: .*zona horaria"):
        call_command("sendtime_evaluate", "--csv", path, "--cutoff", "2024-01-02T00:00")


def test_a_missing_column_is_an_error_on_line_1(tmp_path):
    path = write(tmp_path, "i.csv", "customer_id,timestamp\nA,2024-01-01T10:00\n")
    with pytest.raises(CommandError, match="línea 1: faltan columnas item"):
        call_command("recommend_evaluate", "--csv", path, "--cutoff", "2024-01-02T00:00")


def test_the_commands_read_a_csv_without_touching_the_database(tmp_path, django_assert_num_queries):
    churn_path = write(tmp_path, "p.csv", CHURN_LOG)
    items_path = write(tmp_path, "i.csv", RECOMMEND_LOG)
    events_path = write(tmp_path, "e.csv", SENDTIME_LOG)
    with django_assert_num_queries(0):
        run_json("churn_evaluate", "--csv", churn_path, "--cutoff", "2024-07-01", "--horizon-days", "30")
        run_json("recommend_evaluate", "--csv", items_path, "--cutoff", "2024-06-01T00:00")
        run_json("sendtime_evaluate", "--csv", events_path, "--cutoff", "2024-06-01T00:00")


# Cutoff 2024-06-01. Eligible: u1 (target {a, c}) and u2 (target {d}); u3 has one basket
# before, u4 none after. Popularity in the last 30 days: a 3, b 1, c 1 (b before c by id), d, e.
RECOMMEND_LOG = """
customer_id,item,timestamp,basket_id
u1,a,2024-05-20T10:00,
u1,b,2024-05-20T10:00,
u1,a,2024-05-25T11:00,
u1,a,2024-06-05T12:00,
u1,c,2024-06-05T12:00,
u2,b,2024-03-01T09:00,k1
u2,c,2024-03-01T09:30,k1
u2,c,2024-05-28T09:00,k2
u2,d,2024-06-03T09:00,k3
u3,a,2024-05-10T09:00,
u3,b,2024-06-10T09:00,
u4,d,2024-04-01T09:00,
u4,e,2024-04-02T09:00,
"""


def test_recommend_evaluate_reports_the_hand_computed_figures(tmp_path):
    result = run_json(
        "recommend_evaluate", "--csv", write(tmp_path, "i.csv", RECOMMEND_LOG), "--cutoff", "2024-06-01T00:00"
    )
    assert result["customers"] == 2
    popularity = result["baselines"]["popularity"]
    # u1 gets [a, b, c] for {a, c}: hit, recall 1, AP (1 + 2/3) / 2; u2 gets [a, b, c] for {d}: nothing.
    assert popularity == {"hit@3": 0.5, "recall@3": 0.5, "map@3": pytest.approx(0.4167), "new_items_hit@3": 1.0}
    assert result["baselines"]["buy_again"]["hit@3"] == 0.5
    # item_knn for u1 = [c (1/√2), a (1/2), b (1/2)]: both targets at ranks 1 and 2.
    assert result["baselines"]["item_knn"]["map@3"] == 0.5
    assert set(result["model"]) == {"hit@3", "recall@3", "map@3", "new_items_hit@3"}


def test_recommend_evaluate_names_keys_after_k(tmp_path):
    result = run_json(
        "recommend_evaluate",
        "--csv",
        write(tmp_path, "i.csv", RECOMMEND_LOG),
        "--cutoff",
        "2024-06-01T00:00",
        "--k",
        "1",
    )
    assert result["baselines"]["popularity"]["hit@1"] == 0.5  # a for u1 hits, a for u2 does not


# Cutoff 2024-06-01. c1 engages at 8, 9 and 14 h then 9 and 13 h; c2 at 20 and 21 h then 10 h;
# c3 has one event before. The population's ±1 h window is fullest at 9 h (8, 9 and 10).
SENDTIME_LOG = """
customer_id,timestamp
c1,2024-05-01T08:10
c1,2024-05-02 09:20
c1,2024-05-03T14:00:00
c1,2024-05-03T14:00:00
c1,2024-06-02T09:00
c1,2024-06-03T13:30
c2,2024-05-01T20:00
c2,2024-05-02T21:00
c2,2024-06-02T10:00
c3,2024-05-01T10:00
,2024-05-01T10:00
"""


def test_sendtime_evaluate_reports_the_hand_computed_hit_rates(tmp_path):
    result = run_json(
        "sendtime_evaluate", "--csv", write(tmp_path, "e.csv", SENDTIME_LOG), "--cutoff", "2024-06-01T00:00"
    )
    assert result["customers"] == 2
    assert result["skipped_rows"] == 1
    assert result["population_best_hour"] == 9
    baselines = {name: b["hit_pm1h"] for name, b in result["baselines"].items()}
    # fixed 10 h and population 9 h: c1 half (9 yes, 13 no), c2 all (10).
    # own_mode/own_window: c1 ties broken by the population (9 h), c2 by the smaller hour (20 h).
    assert baselines == {"fixed_10": 0.75, "population_best": 0.75, "own_mode": 0.25, "own_window": 0.25}
    assert 0 <= result["model"]["hit_pm1h"] <= 1


def test_sendtime_evaluate_chooses_only_allowed_hours(tmp_path):
    result = run_json(
        "sendtime_evaluate",
        "--csv",
        write(tmp_path, "e.csv", SENDTIME_LOG),
        "--cutoff",
        "2024-06-01T00:00",
        "--allowed-hours",
        "9-20",
    )
    baselines = {name: b["hit_pm1h"] for name, b in result["baselines"].items()}
    # c2's own hours (20, 21) are not allowed: own_mode falls to the population's 9 h, own_window to 19 h.
    assert baselines["own_mode"] == 0.75
    assert baselines["own_window"] == 0.25


def test_a_bad_allowed_hours_range_is_a_spanish_error(tmp_path):
    with pytest.raises(CommandError, match="no es válido"):
        call_command(
            "sendtime_evaluate",
            "--csv",
            write(tmp_path, "e.csv", SENDTIME_LOG),
            "--cutoff",
            "2024-06-01T00:00",
            "--allowed-hours",
            "20-9",
        )
