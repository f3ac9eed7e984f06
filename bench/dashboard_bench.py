"""Benchmark: the dashboard's figures from the rollup against the same figures from the message table.

    python -m bench.dashboard_bench --messages 100000 --clients 10000 [--database postgresql://...] [--json]

Loads N synthetic messages over the past year (COPY on PostgreSQL, bulk_create on
SQLite), rebuilds the rollup once, then in the same run measures
``stats.queries.dashboard_figures`` over the last 30 days (p50/p95 of --runs calls),
the same totals straight from the message table (``raw_totals``, the baseline), and
one 2-day refresh. The speedup is the raw p50 over the rollup p50.
"""

import argparse
import datetime
import json
import random
import statistics
import sys
import time
import uuid

from bench.gate_bench import configure

KINDS = [
    ("reactivation_email", "email", "marketing"),
    ("vip_newsletter", "email", "marketing"),
    ("reactivation_sms", "sms", "marketing"),
    ("birthday", "sms", "marketing"),
    ("campaign", "sms", "marketing"),
    ("booking_confirmation", "sms", "transactional"),
    ("appointment_reminder", "sms", "transactional"),
    ("satisfaction_followup", "email", "transactional"),
]
SEGMENTS = ["new_low_spend", "regular_medium_spend", "vip_high_spend", "zero_spend", "regular_low_spend"]


def synth_rows(n_messages: int, client_ids: list[int], today: datetime.date, seed: int = 0):
    """Plain dicts of Message fields: a year of believable outcomes."""
    from communications import calendar as cal

    rng = random.Random(seed)
    for i in range(n_messages):
        kind, channel, category = KINDS[rng.randrange(len(KINDS))]
        day = today - datetime.timedelta(days=rng.randrange(365))
        created = cal.at_local(day, datetime.time(rng.randrange(9, 20), rng.randrange(60)))
        r = rng.random()
        row = {
            "cliente_id": client_ids[rng.randrange(len(client_ids))],
            "channel": channel,
            "kind": kind,
            "category": category,
            "idempotency_key": f"bench:{i}",
            "client_segment": SEGMENTS[rng.randrange(len(SEGMENTS))],
            "scheduled_for": created,
            "counts_on": day,
            "created_at": created,
            "first_status": "queued",
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
        }
        if r < 0.08:
            row.update(status="blocked", reason="cap_sms_daily", first_status="blocked", first_reason="cap_sms_daily")
        elif r < 0.10:
            row.update(status="cancelled", reason="responded")
        elif r < 0.12:
            row.update(status="failed", reason="provider_rejected", failed_at=created)
        else:
            row.update(status="delivered" if channel == "sms" else "sent", sent_at=created)
            if channel == "sms":
                row.update(delivered_at=created + datetime.timedelta(minutes=2), cost_clp=12, segments=1)
            elif rng.random() < 0.3:
                row.update(opened_at=created + datetime.timedelta(hours=1), machine_open=rng.random() < 0.2)
                if rng.random() < 0.2:
                    row["clicked_at"] = created + datetime.timedelta(hours=1, minutes=2)
        yield row


def load(n_messages: int, n_clients: int, today) -> None:
    from django.db import connection

    from communications.models import DeliveryEvent, Message
    from ventas.models import Cliente

    Cliente.objects.bulk_create(
        [
            Cliente(nombre=f"Cliente {i}", telefono=f"+569{30_000_000 + i}", email=f"c{i}@example.cl")
            for i in range(n_clients)
        ],
        batch_size=5000,
    )
    client_ids = list(Cliente.objects.values_list("pk", flat=True))
    rows = synth_rows(n_messages, client_ids, today)
    if connection.vendor == "postgresql":
        _copy(rows)
    else:
        batch = []
        for row in rows:
            batch.append(Message(**row))
            if len(batch) == 5000:
                Message.objects.bulk_create(batch)
                batch = []
        Message.objects.bulk_create(batch)
    # About 1% of emails bounce and 0.1% complain: the Exists() counters have work to do.
    emails = list(Message.objects.filter(channel="email", sent_at__isnull=False).values_list("pk", flat=True))
    events = [
        DeliveryEvent(message_id=pk, provider="bench", event_type=kind, dedupe_key=f"{kind}:{pk}")
        for j, pk in enumerate(emails)
        for kind in (("bounce",) if j % 100 == 0 else ()) + (("complaint",) if j % 1000 == 1 else ())
    ]
    DeliveryEvent.objects.bulk_create(events, batch_size=5000)


def _copy(rows) -> None:
    """COPY with every concrete column (defaults from the model), so new fields need no change here."""
    from django.db import connection
    from django.db.models import JSONField
    from psycopg.types.json import Jsonb

    from communications.models import Message

    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {Message._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for f in fields:
                    v = row.get(f.attname, defaults[f.attname])
                    values.append(Jsonb(v) if isinstance(f, JSONField) else v)
                copy.write_row(values)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")


def timed_ms(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values):
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def run(n_messages: int, n_clients: int, runs: int, raw_runs: int) -> dict:
    from django.utils import timezone

    from communications import calendar as cal
    from communications.stats.queries import dashboard_figures, raw_totals
    from communications.stats.refresh import last_days, refresh

    today = cal.localdate(timezone.now())
    started = time.perf_counter()
    load(n_messages, n_clients, today)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    refresh(last_days(366, today=today))
    full_refresh_s = time.perf_counter() - started

    start, end = today - datetime.timedelta(days=29), today
    figures = dashboard_figures(start, end)
    raw = raw_totals(start, end)
    mismatched = [k for k in raw if k != "cost_clp" and raw[k] != figures["totals"][k]]
    if mismatched:
        raise SystemExit(f"rollup and raw figures disagree on {mismatched}")

    rollup_ms = timed_ms(lambda: dashboard_figures(start, end), runs)
    raw_ms = timed_ms(lambda: raw_totals(start, end), raw_runs)
    refresh_ms = timed_ms(lambda: refresh(last_days(2, today=today)), 1)[0]
    p50, raw_p50 = statistics.median(rollup_ms), statistics.median(raw_ms)
    return {
        "messages": n_messages,
        "clients": n_clients,
        "runs": runs,
        "raw_runs": raw_runs,
        "load_s": round(load_s, 2),
        "full_refresh_s": round(full_refresh_s, 2),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95(rollup_ms), 2),
        "raw_p50_ms": round(raw_p50, 2),
        "speedup": round(raw_p50 / p50, 1),
        "refresh_2d_ms": round(refresh_ms, 1),
    }


def report(label: str, r: dict) -> str:
    return "\n".join(
        [
            f"### {label}, {r['messages']:,} messages, {r['clients']:,} clients (last 30 days)".replace(",", "."),
            "",
            "| figure | value |",
            "|---|---:|",
            f"| dashboard figures from the rollup, p50 ({r['runs']} runs) | {r['p50_ms']:.1f} ms |",
            f"| dashboard figures from the rollup, p95 | {r['p95_ms']:.1f} ms |",
            f"| same totals from the message table, p50 ({r['raw_runs']} runs) | {r['raw_p50_ms']:.1f} ms |",
            f"| speedup (raw p50 / rollup p50) | {r['speedup']:.1f}× |",
            f"| one 2-day refresh | {r['refresh_2d_ms']:.0f} ms |",
            f"| load / full 366-day refresh (setup) | {r['load_s']:.1f} s / {r['full_refresh_s']:.1f} s |",
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--database", help="PostgreSQL URL (server's maintenance DB); default: a SQLite file")
    parser.add_argument("--runs", type=int, default=20, help="dashboard calls measured (>= 20)")
    parser.add_argument("--raw-runs", type=int, default=5, help="raw aggregate calls measured")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--scratch", default="aremko_bench_stats", help="scratch database (dropped and recreated)")
    args = parser.parse_args(argv)
    if args.runs < 20:
        parser.error("--runs must be at least 20")
    label = configure(args.database, args.scratch)
    result = run(args.messages, args.clients, args.runs, args.raw_runs)
    print(report(label, result))
    if args.json:
        print(json.dumps({"database": label, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
