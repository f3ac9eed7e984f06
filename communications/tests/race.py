"""Concurrency proof for the gate, run as its own process, on PostgreSQL or a SQLite file.

    python -m communications.tests.race --url postgresql://... [--repetitions 50] [--racers 20]
    python -m communications.tests.race --url sqlite:////tmp/race.sqlite3 --scenarios daily

Creates a scratch database next to the given one, migrates it, then for each
scenario releases N threads (each with its own connection) at a barrier against
the gate, and prints a JSON summary. The tests in test_concurrency.py read it.
Every scenario also runs with the gate's lock disabled (the negative control),
which must show the race.

``--send-time`` runs the same races with send-time optimisation on: every client
has a stored best hour, the requests opt in, and a share of them explores a random
allowed hour (``SEND_TIME_EXPLORATION_SHARE`` > 0), so the gate moves slots before
applying caps and quiet hours. Each scenario also reports its ledger: the most SMS
any client got on one day and in November, and counted messages scheduled outside
the allowed hours.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

SCRATCH_DB = "aremko_race"
# --send-time: the clients' stored hour (later than the races' 10:00, so most slots move the same
# day) and the share of requests sent at a random allowed hour instead.
BEST_HOUR = 15
EXPLORATION_SHARE = 0.3
OPTIONS = {"scratch": SCRATCH_DB, "send_time": False}  # set by main()


def scratch_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{OPTIONS['scratch']}", parts.query, ""))


def new_client():
    """A racing client; with --send-time it has a stored best hour."""
    from communications.insights.models import ClientInsight
    from ventas.tests.factories import ClienteFactory

    cliente = ClienteFactory()
    if OPTIONS["send_time"]:
        ClientInsight.objects.create(cliente=cliente, best_hour=BEST_HOUR)
    return cliente


def request(cliente):
    """A marketing SMS request; with --send-time it opts in to send-time optimisation."""
    from communications.tests.helpers import req

    return req(cliente, optimize_send_time=OPTIONS["send_time"])


def ledger(clients) -> dict:
    """What the clients actually got, recomputed from their rows: caps and quiet hours."""
    from collections import Counter

    from communications.kinds import KINDS
    from communications.models import COUNTED_STATUSES, Message, Reason
    from communications.policy import in_open_hours

    per_day, per_month = Counter(), Counter()
    outside, moved, explored = 0, 0, 0
    rows = Message.objects.filter(cliente__in=clients, status__in=COUNTED_STATUSES, channel="sms")
    for cliente_id, day, kind, slot, reason, exploring in rows.values_list(
        "cliente_id", "counts_on", "kind", "scheduled_for", "reason", "send_time_exploration"
    ):
        per_day[(cliente_id, day)] += 1
        per_month[(cliente_id, day.year, day.month)] += 1
        outside += not in_open_hours(KINDS[kind], slot)
        moved += reason == Reason.SEND_TIME
        explored += bool(exploring)
    return {
        "max_per_day": max(per_day.values(), default=0),
        "november": [per_month[(c.pk, 2026, 11)] for c in clients],
        "outside_hours": outside,
        "send_time_moved": moved,
        "explored": explored,
    }


def add_ledger(summary: dict, clients) -> None:
    figures = ledger(clients)
    summary.setdefault("ledger", []).append(figures)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def create_scratch_database(url: str) -> None:
    if is_sqlite(url):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {OPTIONS['scratch']} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {OPTIONS['scratch']}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url if is_sqlite(url) else scratch_url(url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aremko.settings_test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def race(jobs) -> list:
    """Run each job in its own thread, all released together; returns the errors they raised."""
    from django.db import connection

    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # reported to the test, never swallowed
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if any(t.is_alive() for t in threads):
        errors.append("thread still running after 60 s (deadlock?)")
    return errors


def scenario_daily(racers: int, repetitions: int) -> dict:
    """N racers schedule a marketing SMS for the same client at the same moment."""
    from communications.gate import request_message
    from communications.models import COUNTED_STATUSES, Message
    from communications.tests.helpers import local

    now = local(2026, 11, 25, 10)
    summary = {"per_rep": [], "errors": []}
    for _ in range(repetitions):
        cliente = new_client()
        jobs = [lambda c=cliente: request_message(request(c), now=now) for _ in range(racers)]
        summary["errors"] += race(jobs)
        summary["per_rep"].append(
            Message.objects.filter(cliente=cliente, counts_on=now.date(), status__in=COUNTED_STATUSES).count()
        )
        add_ledger(summary, [cliente])
    return summary


def scenario_monthly(racers: int, repetitions: int) -> dict:
    """N racers, each on a different day of November, for the same client: exactly 8 in the month."""
    from communications.gate import request_message
    from communications.models import COUNTED_STATUSES, Message
    from communications.tests.helpers import local

    # Open days of November 2026 (Monday-Saturday, no holidays), one per racer.
    days = [d for d in range(2, 29) if local(2026, 11, d).weekday() < 6][:racers]
    per_rep, max_day, errors = [], [], []
    summary = {}
    for _ in range(repetitions):
        cliente = new_client()
        jobs = [lambda c=cliente, d=d: request_message(request(c), now=local(2026, 11, d, 10)) for d in days]
        errors += race(jobs)
        add_ledger(summary, [cliente])
        rows = Message.objects.filter(cliente=cliente, status__in=COUNTED_STATUSES, counts_on__month=11)
        per_rep.append(rows.count())
        counts = {}
        for day in rows.values_list("counts_on", flat=True):
            counts[day] = counts.get(day, 0) + 1
        max_day.append(max(counts.values(), default=0))
    return {"per_rep": per_rep, "max_per_day": max_day, "errors": errors, **summary}


def scenario_batched(racers: int, repetitions: int) -> dict:
    """N racers each send one batch over an overlapping, shuffled subset of a few clients."""
    from django.db.models import Count

    from communications.gate import request_messages
    from communications.models import COUNTED_STATUSES, Message
    from communications.tests.helpers import local

    now = local(2026, 11, 25, 10)
    rng = random.Random(7)
    worst, errors = [], []
    summary = {}
    for _ in range(repetitions):
        clients = [new_client() for _ in range(6)]
        batches = []
        for _ in range(racers):
            subset = rng.sample(clients, 4)
            rng.shuffle(subset)  # the gate must lock in a stable order whatever the request order
            batches.append([request(c) for c in subset])
        jobs = [lambda b=b: request_messages(b, now=now) for b in batches]
        errors += race(jobs)
        per_client = (
            Message.objects.filter(cliente__in=clients, counts_on=now.date(), status__in=COUNTED_STATUSES)
            .values("cliente")
            .annotate(n=Count("pk"))
            .values_list("n", flat=True)
        )
        worst.append(sorted(per_client))
        add_ledger(summary, clients)
    return {"per_rep": worst, "errors": errors, **summary}


@contextmanager
def serialisation(url: str, *, on: bool):
    """The gate's per-client serialisation on, or off for the negative control.

    PostgreSQL: the gate's row locks (gate.LOCKING). SQLite: IMMEDIATE transactions,
    which take the write lock at BEGIN; DEFERRED ones are the control. Threads open
    their connections from this settings dict, so the change reaches them.
    """
    from django.conf import settings

    from communications import gate

    if is_sqlite(url):
        options = settings.DATABASES["default"]["OPTIONS"]
        options["transaction_mode"] = "IMMEDIATE" if on else "DEFERRED"
        try:
            yield
        finally:
            options["transaction_mode"] = "IMMEDIATE"
    else:
        gate.LOCKING = on
        try:
            yield
        finally:
            gate.LOCKING = True


SCENARIOS = {"daily": scenario_daily, "monthly": scenario_monthly, "batched": scenario_batched}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="libpq URL of a PostgreSQL server (maintenance database)")
    parser.add_argument("--racers", type=int, default=20)
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--control-repetitions", type=int, default=10)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    parser.add_argument("--scratch", default=SCRATCH_DB, help="scratch database name (PostgreSQL)")
    parser.add_argument("--send-time", action="store_true", help="stored best hours, opted-in requests, exploration")
    args = parser.parse_args(argv)
    OPTIONS.update(scratch=args.scratch, send_time=args.send_time)

    create_scratch_database(args.url)
    setup_django(args.url)
    if args.send_time:
        from django.conf import settings

        settings.SEND_TIME_ENABLED = True
        settings.SEND_TIME_EXPLORATION_SHARE = EXPLORATION_SHARE
    summary = {}
    for name in args.scenarios.split(","):
        scenario = SCENARIOS[name]
        started = time.monotonic()
        with serialisation(args.url, on=True):
            summary[name] = scenario(args.racers, args.repetitions)
        with serialisation(args.url, on=False):
            summary[f"{name}_without_lock"] = scenario(args.racers, args.control_repetitions)
        summary[name]["seconds"] = round(time.monotonic() - started, 2)
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
