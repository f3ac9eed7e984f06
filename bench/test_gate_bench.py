"""The benchmark harness runs end to end (tiny N): its figures in the README stay reproducible."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.gate_bench",
            "--clients",
            "300",
            "--json",
            "--scratch",
            "aremko_bench_smoke",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table, raw = result.stdout.rsplit("\n", 2)[0], json.loads(result.stdout.strip().splitlines()[-1])
    return table, raw


def test_bench_reports_every_path_against_the_bulk_insert_baseline_on_sqlite():
    table, raw = run_bench()
    assert set(raw["results"]) == {
        "bulk insert (baseline)",
        "batched gate",
        "single gate",
        "bulk insert (again, drift check)",
    }
    assert "ratio to bulk insert" in table
    # The batched gate's query count does not grow per client (SQLite splits INSERTs at 999 parameters).
    assert raw["results"]["batched gate"][1] < raw["results"]["single gate"][1] / 10


@pytest.mark.postgres
def test_bench_runs_on_postgresql(postgres_url):
    _table, raw = run_bench("--database", postgres_url)
    assert raw["database"] == "PostgreSQL"
    seconds, queries = raw["results"]["batched gate"]
    assert queries < 20  # one chunk: a handful of statements for 300 clients


@pytest.mark.postgres
def test_scale_mode_reports_rates_flatness_and_peak_memory_per_size(postgres_url):
    table, raw = run_bench(
        "--database",
        postgres_url,
        "--scale",
        "150,300",
        "--runs",
        "1",
        "--workloads",
        "gate,birthday",
        "--scratch",
        "aremko_bench_scale_smoke",
    )
    assert "flatness gate:" in table and "peak RSS" in table
    for workload in ("gate", "birthday"):
        assert raw["summary"][workload]["flatness"] > 0
        for figures in raw["results"][workload].values():
            (run,) = figures
            assert run["peak_rss_mb"] >= run["rss_before_mb"] > 0
            assert run["published"] == 0  # everything scheduled: the broker is not what is measured
    # The gate wrote one message per client.
    assert [f[0]["written"] for f in raw["results"]["gate"].values()] == [150, 300]
