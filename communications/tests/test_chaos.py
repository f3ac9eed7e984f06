"""A worker killed with SIGKILL mid-request never causes a second SMS (ARCHITECTURE §2, specs/sending.md).

Real ``celery -A aremko worker`` processes on real Redis and PostgreSQL send to a fake
Redvoiss that answers slowly; the harness (communications/tests/chaos.py) kills one
while requests are in flight, starts another, and runs the sweeps until nothing is
pending. The negative control runs the same kill without the provider-call marker:
second SMS must appear, or the proof proves nothing.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTLED = {"sent", "delivered", "unknown"}

pytestmark = [pytest.mark.chaos, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def run_chaos(postgres_url, redis_url, *options) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "communications.tests.chaos", "--database", postgres_url, "--broker", redis_url]
        + list(options),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_settled_and_never_twice(summary):
    assert summary["pending"] == 0, summary
    for status_reason in summary["statuses"]:
        status, _, reason = status_reason.partition(":")
        assert status in SETTLED or (status == "failed" and reason), summary
    assert summary["duplicates"] == 0, summary
    # The kill hit requests in flight: some rows could not be known and became "unknown".
    assert summary["statuses"].get("unknown:interrupted", 0) > 0, summary


def test_a_worker_killed_mid_request_leaves_every_message_settled_and_none_sent_twice(
    chaos_postgres_url, chaos_redis_url
):
    assert_settled_and_never_twice(run_chaos(chaos_postgres_url, chaos_redis_url, "--workers", "1"))


def test_two_workers_sharing_the_outbox_one_killed_send_nothing_twice(chaos_postgres_url, chaos_redis_url):
    assert_settled_and_never_twice(run_chaos(chaos_postgres_url, chaos_redis_url, "--workers", "2"))


def test_negative_control_without_the_call_marker_the_same_kill_sends_second_sms(chaos_postgres_url, chaos_redis_url):
    summary = run_chaos(chaos_postgres_url, chaos_redis_url, "--workers", "1", "--no-marker")
    assert summary["pending"] == 0
    assert summary["duplicates"] > 0, summary


def test_a_worker_killed_before_the_provider_call_leaves_its_claimed_rows_to_be_sent_once(
    chaos_postgres_url, chaos_redis_url
):
    summary = run_chaos(chaos_postgres_url, chaos_redis_url, "--workers", "1", "--kill-at", "before")
    print(json.dumps(summary))  # the README's figures (pytest -s)
    # The kill hit rows claimed but never marked nor handed to the provider.
    assert summary["claimed_at_kill"] > 0, summary
    assert summary["marked_at_kill"] == 0, summary
    assert summary["received_at_kill"] == 0, summary
    assert summary["pending"] == 0, summary
    # Nothing was handed over, so nothing is ambiguous: every message is sent, once.
    assert set(summary["statuses"]) <= {"sent", "delivered"}, summary
    assert summary["never_received"] == 0, summary
    assert summary["duplicates"] == 0, summary


def test_a_worker_killed_after_the_provider_call_leaves_those_rows_unknown_never_resent(
    chaos_postgres_url, chaos_redis_url
):
    summary = run_chaos(chaos_postgres_url, chaos_redis_url, "--workers", "1", "--kill-at", "after")
    print(json.dumps(summary))  # the README's figures (pytest -s)
    # The kill hit rows the provider had accepted and whose outcome was never written.
    assert summary["received_at_kill"] > 0, summary
    assert summary["pending"] == 0, summary
    assert summary["duplicates"] == 0, summary
    statuses = dict(summary["statuses"])
    interrupted = statuses.pop("unknown:interrupted", 0)
    # Every row the provider had received from the killed worker is "unknown", not resent
    # (a row marked an instant before the kill but not yet sent is "unknown" too).
    assert interrupted >= summary["received_at_kill"], summary
    assert set(statuses) <= {"sent", "delivered"}, summary
    assert summary["never_received"] <= interrupted - summary["received_at_kill"], summary
