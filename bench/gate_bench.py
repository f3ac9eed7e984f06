"""Benchmark: schedule a marketing SMS for N clients through the gate, against a bare bulk insert.

    python -m bench.gate_bench --clients 10000 [--database postgresql://...] [--skip-single]
    python -m bench.gate_bench --scale 10000,100000,1000000 --runs 3 --database postgresql://...

With --scale, the gate and the trigger sweeps are measured at each size instead
(clients/s, flatness, peak RSS): see bench/gate_scale.py.

Every figure is a ratio against a baseline measured in the same run on the same
database: a bare ``bulk_create`` of N Message rows (no locks, no reads, no
decisions). Each contender starts from the same state (N clients, no messages,
no limit rows). Prints a Markdown table and, with --json, the raw figures.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import gate_scale

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "aremko_bench"


def configure(database: str | None, scratch: str = BENCH_DB) -> str:
    """Point Django at a fresh scratch database named ``scratch``; returns a label for the report."""
    if database and database.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(database)
        with psycopg.connect(
            urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, "")), autocommit=True
        ) as c:
            c.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {scratch}")
        os.environ["DATABASE_URL"] = urlunsplit(("postgresql", parts.netloc, f"/{scratch}", parts.query, ""))
        label = "PostgreSQL"
    else:
        path = ROOT / "var" / "bench" / f"{scratch}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        label = "SQLite (WAL)"
    os.environ["DJANGO_SETTINGS_MODULE"] = "aremko.settings_test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return label


def campaign_sms_requests(ids, tag: str, at) -> list:
    """One personalised campaign SMS per client id: the gate workload of both benchmarks."""
    from communications.gate import MessageRequest

    return [
        MessageRequest(
            cliente_id=cid,
            kind="campaign",
            channel="sms",
            idempotency_key=f"{tag}:{cid}",
            at=at,
            custom_text="Hola {{ nombre }}, novedades en Aremko Spa.",
        )
        for cid in ids
    ]


class QueryCounter:
    """Counts statements without keeping them (capturing 100k queries would measure the capture)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(fn) -> tuple[float, int]:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - started
    return elapsed, counter.count


def reset():
    from communications.models import CommunicationLimit, Message

    Message.objects.all().delete()
    CommunicationLimit.objects.all().delete()


def run(n_clients: int, *, skip_single: bool, chunk_size: int) -> dict:
    import datetime

    from django.db import transaction

    from communications import calendar as cal
    from communications.gate import request_message, request_messages
    from communications.models import Message, Status
    from ventas.models import Cliente

    Cliente.objects.bulk_create(
        [
            Cliente(nombre=f"Cliente {i}", telefono=f"+569{30_000_000 + i}", email=f"c{i}@example.cl")
            for i in range(n_clients)
        ],
        batch_size=5000,
    )
    ids = list(Cliente.objects.order_by("pk").values_list("pk", flat=True))
    now = cal.at_local(datetime.date(2026, 11, 25), datetime.time(10))
    at = now + datetime.timedelta(days=1)  # scheduled for tomorrow: measures the gate, not the broker

    def requests(tag):
        return campaign_sms_requests(ids, tag, at)

    def bulk_insert():
        with transaction.atomic():
            Message.objects.bulk_create(
                [
                    Message(
                        cliente_id=cid,
                        channel="sms",
                        kind="campaign",
                        category="marketing",
                        idempotency_key=f"bulk:{cid}",
                        status=Status.SCHEDULED,
                        scheduled_for=at,
                        counts_on=cal.localdate(at),
                        created_at=now,
                    )
                    for cid in ids
                ],
                batch_size=chunk_size,
            )

    results = {}
    reset()
    results["bulk insert (baseline)"] = measure(bulk_insert)
    reset()
    batch = requests("batched")
    results["batched gate"] = measure(lambda: request_messages(batch, now=now, chunk_size=chunk_size))
    assert Message.objects.filter(status=Status.SCHEDULED).count() == n_clients
    if not skip_single:
        reset()
        singles = requests("single")
        results["single gate"] = measure(lambda: [request_message(r, now=now) for r in singles])
        assert Message.objects.filter(status=Status.SCHEDULED).count() == n_clients
    reset()
    results["bulk insert (again, drift check)"] = measure(bulk_insert)
    return results


def report(label: str, n: int, results: dict) -> str:
    base_seconds = results["bulk insert (baseline)"][0]
    lines = [
        f"### {label}, {n:,} clients".replace(",", "."),
        "",
        "| path | seconds | clients/s | ratio to bulk insert | queries per 1,000 clients |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (seconds, queries) in results.items():
        lines.append(
            f"| {name} | {seconds:.2f} | {n / seconds:,.0f} | {base_seconds / seconds:.0%} | {queries * 1000 / n:.1f} |"
        )
    return "\n".join(lines)


def scale_main(args, parser) -> int:
    if not (args.database or "").startswith(("postgres://", "postgresql://")):
        parser.error("--scale needs --database postgresql://... (the server's maintenance database)")
    sizes = [int(s.replace("_", "")) for s in args.scale.split(",")]
    workloads = args.workloads.split(",") if args.workloads else list(gate_scale.DEFAULT_WORKLOADS)
    unknown = {w for w in workloads if w.partition(":")[0] not in gate_scale.WORKLOADS}
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    scratch = args.scratch if args.scratch != BENCH_DB else "gatescale"

    def log(line):
        print(line, file=sys.stderr, flush=True)

    raw = gate_scale.run_scale(
        args.database, scratch, sizes, args.runs, workloads, keep=args.keep, reuse=args.reuse, log=log
    )
    summary = gate_scale.summarise(raw)
    print(f"### PostgreSQL, gate and sweeps at scale ({args.runs} interleaved runs per size)\n")
    print(gate_scale.report(summary))
    if args.json:
        print(json.dumps({**raw, "summary": summary}))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--database", help="PostgreSQL URL (server's maintenance DB); default: a SQLite file")
    parser.add_argument("--skip-single", action="store_true", help="skip the one-request-at-a-time gate")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--scratch", default=BENCH_DB, help="name of the scratch database (dropped and recreated)")
    parser.add_argument("--scale", help="comma-separated client counts: the scale benchmark (PostgreSQL only)")
    parser.add_argument("--runs", type=int, default=3, help="--scale: interleaved runs per size (median)")
    parser.add_argument(
        "--workloads",
        help="--scale: comma-separated, among " + ", ".join(gate_scale.WORKLOADS) + " (gate:N: the first N clients)",
        default=None,
    )
    parser.add_argument("--keep", action="store_true", help="--scale: keep the seeded databases")
    parser.add_argument("--reuse", action="store_true", help="--scale: reuse databases kept by --keep")
    args = parser.parse_args(argv)
    if args.scale:
        return scale_main(args, parser)
    label = configure(args.database, args.scratch)
    results = run(args.clients, skip_single=args.skip_single, chunk_size=args.chunk_size)
    print(report(label, args.clients, results))
    if args.json:
        print(json.dumps({"database": label, "clients": args.clients, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
