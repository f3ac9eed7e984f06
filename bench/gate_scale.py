"""Scale benchmark: the gate and the trigger sweeps at 10k, 100k and 1M clients on PostgreSQL.

    python -m bench.gate_bench --scale 10000,100000,1000000 --runs 3 \\
        --database postgresql://postgres@127.0.0.1:5432/postgres [--workloads gate,birthday] [--json]

One scratch database per size (``<scratch>_<n>``), cloned from one migrated
template and seeded by COPY: N clients (unique phones and emails, birthdays spread
over the year) and about 1.6 bookings per client over the last two years, so the
segment annotations, the reactivation audience and the birthday sweep have real
joins to do. Each measurement runs in a fresh child process against its size's
database, after the message and limit tables are emptied, so its peak RSS
(VmHWM, what ``ru_maxrss`` reports) is that sweep's alone; the child also reports its RSS before the
sweep, so the growth is visible apart from Django's own footprint.

Runs are interleaved (run 1 at every size, then run 2, ...), so drift on a shared
machine hits every size alike; the flatness ratio is the median rate at the
largest size over the median rate at the smallest (target >= 80%).

Workloads (all scheduled for later in the day, so the broker is never measured):
- ``gate``: one marketing SMS for every client through the batched gate, fed by
  keyset pages of client ids (what a campaign or a sweep does, minus its audience query);
  ``gate:N`` does the same for the first N clients only, with the base's full tables
  (the rate at 1M clients when a whole 1M sweep does not fit in the time at hand);
- ``campaign``: the same through ``campaigns.send`` (the audience query with segments, keyset pages);
- ``birthday``, ``reactivation_email``, ``vip_newsletter``: ``triggers.run`` of that trigger.
Rates: clients decided per second for ``gate`` and ``campaign``; clients in the
base per second for the trigger sweeps (they read every client to find their
audience; the audience each one found is reported beside it). "last/first pages"
is the rate over the last tenth of a gate sweep's pages over its first tenth: below
100% when the cost per client grows as the message table fills.
"""

import datetime
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("gate", "campaign", "birthday", "reactivation_email", "vip_newsletter")
DEFAULT_WORKLOADS = ("gate", "birthday", "reactivation_email")
# 07:00 local on a Wednesday: every workload schedules for 10:00, nothing is queued.
NOW = (datetime.date(2026, 11, 25), datetime.time(7))
PAGE = 2000


# --- the parent: databases and the schedule of runs (no Django here) ---------------------------


def _admin_url(database: str) -> str:
    parts = urlsplit(database)
    return urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))


def _db_url(database: str, name: str) -> str:
    parts = urlsplit(database)
    return urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))


def _admin(database: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(database), autocommit=True) as c:
        for statement in statements:
            c.execute(statement)


def _child(database_url: str, *args: str) -> dict:
    # DEBUG off whatever the caller's shell says: with it on, Django keeps the last 9,000
    # statements' SQL, and a 2,000-row INSERT is a megabyte of it (a 1M sweep peaked at 760 MB).
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "aremko.settings_test",
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench.gate_scale", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench child {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _seeded_already(database: str, name: str, n: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(_db_url(database, name), autocommit=True) as c:
            return c.execute("SELECT count(*) FROM ventas_cliente").fetchone()[0] == n
    except psycopg.Error:
        return False


def prepare(database: str, scratch: str, sizes: list[int], log, *, reuse: bool = False) -> dict[int, dict]:
    """One migrated template, one seeded clone per size; returns the seeding figures per size.

    With ``reuse``, a size whose database already holds exactly N clients (kept by --keep) is not seeded again.
    """
    if reuse and all(_seeded_already(database, f"{scratch}_{n}", n) for n in sizes):
        log("reusing the seeded databases")
        return {n: {"clients": n, "reused": True} for n in sizes}
    template = f"{scratch}_tpl"
    _admin(database, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)", f"CREATE DATABASE {template}")
    _child(_db_url(database, template), "migrate")
    seeded = {}
    for n in sizes:
        name = f"{scratch}_{n}"
        _admin(database, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name} TEMPLATE {template}")
        seeded[n] = _child(_db_url(database, name), "seed", str(n))
        log(f"seeded {n:,} clients, {seeded[n]['bookings']:,} bookings in {seeded[n]['seconds']:.0f} s")
    _admin(database, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
    return seeded


def run_scale(
    database: str, scratch: str, sizes: list[int], runs: int, workloads: list[str], *, keep: bool, reuse: bool, log
) -> dict:
    sizes = sorted(sizes)
    seeded = prepare(database, scratch, sizes, log, reuse=reuse)
    results = {w: {n: [] for n in sizes} for w in workloads}
    for r in range(runs):
        for workload in workloads:
            for n in sizes:
                figure = _child(_db_url(database, f"{scratch}_{n}"), "measure", workload, str(n))
                results[workload][n].append(figure)
                log(
                    f"run {r + 1}/{runs} {workload} {n:,}: {figure['rate']:,.0f} clients/s, "
                    f"{figure['seconds']:.1f} s, peak RSS {figure['peak_rss_mb']:.0f} MB "
                    f"(+{figure['peak_rss_mb'] - figure['rss_before_mb']:.0f})"
                )
    if not keep:
        for n in sizes:
            # Every child has exited: nothing to force (FORCE crashed the embedded test server).
            _admin(database, f"DROP DATABASE IF EXISTS {scratch}_{n}")
    return {"database": "PostgreSQL", "sizes": sizes, "runs": runs, "seeded": seeded, "results": results}


def summarise(raw: dict) -> dict:
    """Per workload and size: medians; per workload: flatness (largest over smallest size)."""
    out = {}
    for workload, by_size in raw["results"].items():
        rows = {}
        for n, figures in by_size.items():
            if not figures:
                continue
            rows[n] = {
                "rate": statistics.median(f["rate"] for f in figures),
                "seconds": statistics.median(f["seconds"] for f in figures),
                "queries_per_1000": statistics.median(f["queries"] * 1000 / _swept(f) for f in figures),
                "audience": figures[0]["audience"],
                "peak_rss_mb": max(f["peak_rss_mb"] for f in figures),
                "rss_growth_mb": max(f["peak_rss_mb"] - f["rss_before_mb"] for f in figures),
                "tail_over_head": _median_or_none([f["tail_over_head"] for f in figures if f["tail_over_head"]]),
                "runs": len(figures),
            }
        sizes = sorted(rows, key=int)
        flat = rows[sizes[-1]]["rate"] / rows[sizes[0]]["rate"] if len(sizes) > 1 else None
        if rows:
            out[workload] = {"sizes": rows, "flatness": flat}
    return out


def _swept(figure: dict) -> int:
    """Clients a run went through: those decided (gate workloads) or the whole base (sweeps)."""
    gate_like = figure["workload"].partition(":")[0] in ("gate", "campaign")
    return max(figure["audience"] if gate_like else figure["clients"], 1)


def _median_or_none(values):
    return statistics.median(values) if values else None


def report(summary: dict) -> str:
    lines = [
        "| workload | clients | audience | clients/s (median) | vs smallest | last/first pages | "
        "queries per 1,000 | peak RSS MB (growth) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workload, data in summary.items():
        sizes = sorted(data["sizes"], key=int)
        base = data["sizes"][sizes[0]]["rate"]
        for n in sizes:
            row = data["sizes"][n]
            tail = f"{row['tail_over_head']:.0%}" if row["tail_over_head"] else "—"
            lines.append(
                f"| {workload} | {int(n):,} | {row['audience']:,} | {row['rate']:,.0f} | {row['rate'] / base:.0%} | "
                f"{tail} | {row['queries_per_1000']:.1f} | {row['peak_rss_mb']:.0f} (+{row['rss_growth_mb']:.0f}) |"
            )
    lines.append("")
    for workload, data in summary.items():
        if data["flatness"] is not None:
            sizes = sorted(data["sizes"], key=int)
            lines.append(
                f"flatness {workload}: {data['flatness']:.0%} (clients/s at {int(sizes[-1]):,} over "
                f"{int(sizes[0]):,}; median of {data['sizes'][sizes[-1]]['runs']} interleaved runs)"
            )
    return "\n".join(lines)


# --- the children: one Django process per step -------------------------------------------------


def _setup():
    import django

    django.setup()
    from django.conf import settings

    from aremko.celery import freeze_startup_heap

    settings.WORKER_GC_FREEZE = True  # settings_test turns it off for pytest's in-process workers
    freeze_startup_heap()  # as a worker process does before its first sweep


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_rss_mb() -> float:
    """The process's peak resident set (VmHWM: getrusage's ru_maxrss, read up to date)."""
    return _status_mb("VmHWM")


def _copy(model, columns: list[str], rows) -> None:
    from django.db import connection

    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def seed(n: int) -> dict:
    """N clients and their bookings by COPY (ids 1..N), then ANALYZE."""
    from django.db import connection

    from communications import calendar as cal
    from ventas.models import Cliente, VentaReserva

    started = time.perf_counter()
    now = cal.at_local(*NOW)
    year = datetime.date(1980, 1, 1)

    def clients():
        for i in range(1, n + 1):
            yield (
                i,
                f"Cliente {i}",
                f"c{i}@example.cl",
                f"+569{30_000_000 + i}",
                year + datetime.timedelta(days=i % 365),
                "Chile",
                "",
                now - datetime.timedelta(days=800),
            )

    def bookings():
        # 0-3 paid visits (1 in 50 clients: 7, a VIP), the latest 10 to 700 days ago:
        # about half the base has not come back in 90 days (the reactivation audience).
        for i in range(1, n + 1):
            visits = 7 if i % 50 == 0 else i % 4
            latest = 10 + (i * 7919) % 690
            for j in range(visits):
                visit = now - datetime.timedelta(days=latest + 30 * j, hours=i % 7)
                yield (i, visit - datetime.timedelta(days=3), visit, 30_000, 30_000, 0, "pagado", "checkout")

    _copy(Cliente, ["id", "nombre", "email", "telefono", "fecha_nacimiento", "pais", "ciudad", "created_at"], clients())
    _copy(
        VentaReserva,
        ["cliente", "fecha_creacion", "fecha_reserva", "total", "pagado", "saldo_pendiente", "estado_pago"]
        + ["estado_reserva"],
        bookings(),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Cliente._meta.db_table}', 'id'), {n})")
        cursor.execute(f"ANALYZE {Cliente._meta.db_table}")
        cursor.execute(f"ANALYZE {VentaReserva._meta.db_table}")
    return {"clients": n, "bookings": VentaReserva.objects.count(), "seconds": time.perf_counter() - started}


def _reset() -> None:
    from django.db import connection

    from communications.models import CommunicationLimit, Message, SweepRun

    tables = [Message._meta.db_table, CommunicationLimit._meta.db_table, SweepRun._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


class _Pages:
    """Times each page of a sweep, to compare its last pages with its first (growth inside one run)."""

    def __init__(self):
        self.marks: list[tuple[float, int]] = []

    def mark(self, done: int) -> None:
        self.marks.append((time.perf_counter(), done))

    def tail_over_head(self) -> float | None:
        """Rate over the last tenth of the pages divided by the rate over the first tenth."""
        if len(self.marks) < 20:
            return None
        k = len(self.marks) // 10

        def rate(a, b):
            (t0, n0), (t1, n1) = self.marks[a], self.marks[b]
            return (n1 - n0) / (t1 - t0)

        return rate(-k - 1, -1) / rate(0, k)


def _gate(n: int, now, pages: _Pages, limit: int | None = None) -> int:
    from communications.gate import request_messages
    from ventas.models import Cliente

    from .gate_bench import campaign_sms_requests

    at = cal_at(now)
    last, done = 0, 0
    pages.mark(0)
    while True:
        size = PAGE if limit is None else min(PAGE, limit - done)
        ids = (
            list(Cliente.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]) if size else []
        )
        if not ids:
            return done
        request_messages(campaign_sms_requests(ids, "scale", at), now=now, chunk_size=PAGE)
        done += len(ids)
        pages.mark(done)
        last = ids[-1]


def cal_at(now):
    return now.replace(hour=10)


def _campaign(n: int, now, pages: _Pages) -> int:
    from communications import campaigns
    from ventas.models import Campaign

    campaign = Campaign.objects.create(
        name="Bench",
        status=Campaign.Status.ACTIVE,
        channel="sms",
        kind="campaign",
        sms_template="Hola {{ nombre }}, novedades en Aremko Spa.",
        send_at=cal_at(now),
    )
    pages.mark(0)

    def progress(summary, processed):
        pages.mark(processed)
        return True

    summary = campaigns.send(campaign, now, "bench", page_size=PAGE, progress=progress)
    return summary.total


def _trigger(name: str):
    def sweep(n: int, now, pages: _Pages) -> int:
        from communications.triggers import TRIGGERS, run

        report = run(TRIGGERS[name], now, force=True)
        return report.total()

    return sweep


def measure(workload: str, n: int) -> dict:
    from django.db import connection

    from communications import calendar as cal
    from communications import dispatch
    from communications.models import Message

    from .gate_bench import QueryCounter

    # Nothing should be queued (everything is scheduled for 10:00); if something is, the
    # broker is not what is measured here.
    published = []
    dispatch.enqueue_on_commit = lambda ids: published.append(len(list(ids)))
    _reset()
    now = cal.at_local(*NOW)
    name, _sep, limit = workload.partition(":")
    if name == "gate":
        # "gate:100000": the gate over the first 100,000 clients of the base only (the rate
        # with the base's full tables, when sweeping all of it would not fit in the time).
        sweep = functools.partial(_gate, limit=int(limit) if limit else None)
    else:
        sweep = {"campaign": _campaign}.get(name) or _trigger(name)
    pages = _Pages()
    counter = QueryCounter()
    rss_before = _rss_mb()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        audience = sweep(n, now, pages)
        seconds = time.perf_counter() - started
    return {
        "workload": workload,
        "clients": n,
        "audience": audience,
        "written": Message.objects.count(),
        "seconds": seconds,
        # Gate workloads: clients decided per second; sweeps: clients of the base read per second.
        "rate": (audience if name in ("gate", "campaign") else n) / seconds,
        "queries": counter.count,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "tail_over_head": pages.tail_over_head(),
        "published": sum(published),
    }


def child_main(argv) -> int:
    _setup()
    step = argv[0]
    if step == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        out = {"ok": True}
    elif step == "seed":
        out = seed(int(argv[1]))
    elif step == "measure":
        out = measure(argv[1], int(argv[2]))
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
