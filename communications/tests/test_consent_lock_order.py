"""Lock order on shared addresses (PostgreSQL): two records opting out at once, in opposite order."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def results(postgres_url):
    run = subprocess.run(
        [sys.executable, "-m", "communications.tests.consent_race", "--url", postgres_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_two_records_sharing_an_address_opt_out_at_once_and_both_succeed(results):
    for rep in results["ordered"]["reps"]:
        assert rep["errors"] == [], rep
        assert rep["both_opted_out"], rep
        assert rep["withdrawals"] == sorted(rep["pair"]), rep  # one ledger entry each, no duplicate


def test_negative_control_locking_the_own_record_first_deadlocks(results):
    for rep in results["control"]["reps"]:
        assert len(rep["errors"]) == 1 and "deadlock detected" in rep["errors"][0], rep
