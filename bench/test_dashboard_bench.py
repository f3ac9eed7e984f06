"""The dashboard benchmark runs end to end (tiny N) and its JSON carries the README's figures."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_dashboard_bench_reports_rollup_raw_and_refresh_figures_on_sqlite():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.dashboard_bench",
            "--messages",
            "1000",
            "--clients",
            "100",
            "--raw-runs",
            "2",
            "--json",
            "--scratch",
            "aremko_bench_stats_smoke",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    raw = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"p50_ms", "p95_ms", "raw_p50_ms", "speedup", "refresh_2d_ms"} <= set(raw)
    assert raw["messages"] == 1000 and raw["runs"] >= 20
    assert "speedup" in result.stdout or "raw p50" in result.stdout
