"""The reservation-save benchmark runs end to end (tiny N): its figures in the README stay reproducible."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_booking_bench_compares_each_save_with_its_bare_twin_and_publishes_one_task_per_booking():
    result = subprocess.run(
        [sys.executable, "-m", "bench.booking_bench", "--runs", "3", "--json", "--scratch", "aremko_booking_smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    raw = json.loads(result.stdout.strip().splitlines()[-1])["results"]
    assert "ratio to bare" in result.stdout
    for kind in ("orm", "admin"):
        assert raw[f"{kind} bare"]["tasks_per_save"] == 0
        # The booking row and its two service rows: one task for the booking, published on commit.
        assert raw[f"{kind} with receivers"]["tasks_per_save"] == 1
        assert raw[f"{kind} with receivers"]["ratio"] > 0
    assert raw["confirmations_written_in_request"] == 0
