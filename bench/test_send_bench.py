"""The send benchmark runs end to end at smoke size: real workers, receivers count every message once.

No bench-only requirement is imported (--skip-post-office): `make test` runs this.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_the_send_benchmark_delivers_every_message_exactly_once_on_every_path(postgres_url, redis_url):
    result = subprocess.run(
        [sys.executable, "-m", "bench.send_bench", "--messages", "60", "--json", "--skip-post-office"]
        + ["--database", postgres_url, "--broker", redis_url, "--worker-processes", "1", "--delay", "0.01"]
        + ["--runs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for channel in ("sms", "email"):
        assert (report[channel]["duplicates"], report[channel]["lost"]) == (0, 0), report
        assert report[channel]["speedup"] > 0
    runs = [report["sms"][w][m] for w in ("shared", "personalised") for m in ("single", "batched")]
    runs += [report["email"]["single"], report["email"]["batched"]]
    for run in runs:
        assert run["finished"] and run["statuses"] == {"sent": 60}, run
    # One shared text: many destinations per Redvoiss request; personalised texts: one each.
    assert report["sms"]["shared"]["batched"]["destinations_per_request"] > 10
    assert report["sms"]["personalised"]["batched"]["destinations_per_request"] == 1
