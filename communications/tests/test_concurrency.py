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
