"""The gate is exact under concurrency: on real PostgreSQL (system server in CI, embedded elsewhere)
through row locks, and on SQLite through IMMEDIATE transactions.

The race itself runs in a separate process (communications/tests/race.py) so it can
use PostgreSQL even when the rest of the suite runs on SQLite. Each proof ships with
its negative control: the same race with the gate's lock disabled must break the cap.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPETITIONS = 50

pytestmark = pytest.mark.slow


def run_race(url: str, *options: str) -> dict:
    """Run the race harness in its own process and return its JSON summary."""
    result = subprocess.run(
        [sys.executable, "-m", "communications.tests.race", "--url", url, "--racers", "20", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def race_results(postgres_url):
    return run_race(postgres_url, "--repetitions", str(REPETITIONS))


@pytest.mark.postgres
def test_twenty_racers_get_exactly_two_sms_for_the_day_every_time(race_results):
    daily = race_results["daily"]
    assert daily["errors"] == []
    assert daily["per_rep"] == [2] * REPETITIONS


@pytest.mark.postgres
def test_racers_across_the_month_get_exactly_eight_sms_in_it_every_time(race_results):
    monthly = race_results["monthly"]
    assert monthly["errors"] == []
    assert monthly["per_rep"] == [8] * REPETITIONS
    assert max(monthly["max_per_day"]) <= 2


@pytest.mark.postgres
def test_overlapping_batches_hold_every_clients_cap_without_deadlock(race_results):
    batched = race_results["batched"]
    assert batched["errors"] == []  # a deadlock would surface here as OperationalError
    assert all(per_client == [2] * 6 for per_client in batched["per_rep"])


@pytest.mark.postgres
@pytest.mark.parametrize("scenario, cap", [("daily", 2), ("monthly", 8)])
def test_negative_control_without_the_lock_the_race_breaks_the_cap(race_results, scenario, cap):
    assert max(race_results[f"{scenario}_without_lock"]["per_rep"]) > cap


@pytest.mark.postgres
def test_negative_control_batched_without_the_lock_breaks_the_cap(race_results):
    assert max(max(per_client) for per_client in race_results["batched_without_lock"]["per_rep"]) > 2


@pytest.fixture(scope="module")
def sqlite_race_results(tmp_path_factory):
    path = tmp_path_factory.mktemp("race") / "race.sqlite3"
    return run_race(
        f"sqlite:///{path}", "--scenarios", "daily,batched", "--repetitions", "20", "--control-repetitions", "5"
    )


def test_on_sqlite_immediate_transactions_make_the_gate_exact(sqlite_race_results):
    assert sqlite_race_results["daily"] == {**sqlite_race_results["daily"], "per_rep": [2] * 20, "errors": []}
    assert all(per_client == [2] * 6 for per_client in sqlite_race_results["batched"]["per_rep"])
    assert sqlite_race_results["batched"]["errors"] == []


def test_negative_control_on_sqlite_deferred_transactions_lose_requests(sqlite_race_results):
    # Without IMMEDIATE, racers that read first then write die with "database is locked".
    assert any("database is locked" in e for e in sqlite_race_results["daily_without_lock"]["errors"])


# Send-time optimisation on: stored best hours, requests that opt in, a share exploring a random
# allowed hour. The gate moves each slot first, then applies caps and quiet hours: still exact.
# A small variant (5 repetitions, daily and batched) to keep CI time low.
SEND_TIME_REPETITIONS = 5


@pytest.fixture(scope="module")
def send_time_race_results(postgres_url):
    return run_race(
        postgres_url,
        "--send-time",
        "--scratch",
        "aremko_race_send_time",
        "--scenarios",
        "daily,batched",
        "--repetitions",
        str(SEND_TIME_REPETITIONS),
        "--control-repetitions",
        "3",
    )


@pytest.mark.postgres
@pytest.mark.parametrize("scenario, clients", [("daily", 1), ("batched", 6)])
def test_with_send_time_on_every_cap_and_quiet_hour_stays_exact(send_time_race_results, scenario, clients):
    result = send_time_race_results[scenario]
    assert result["errors"] == []
    assert len(result["ledger"]) == SEND_TIME_REPETITIONS
    for rep in result["ledger"]:
        assert rep["max_per_day"] == 2  # the daily cap, reached and never passed
        assert rep["november"] == [8] * clients  # the monthly cap, exactly
        assert rep["outside_hours"] == 0  # every counted message inside the allowed hours
    # Send time really was in play: slots moved to the client's hour, and some explored.
    assert sum(rep["send_time_moved"] for rep in result["ledger"]) > 0
    assert sum(rep["explored"] for rep in result["ledger"]) > 0


@pytest.mark.postgres
@pytest.mark.parametrize("scenario", ["daily", "batched"])
def test_negative_control_with_send_time_without_the_lock_breaks_the_cap(send_time_race_results, scenario):
    assert max(rep["max_per_day"] for rep in send_time_race_results[f"{scenario}_without_lock"]["ledger"]) > 2
