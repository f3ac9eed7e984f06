"""Concurrency proof for the gate, run as its own process, on PostgreSQL or a SQLite file.

    python -m communications.tests.race --url postgresql://... [--repetitions 50] [--racers 20]
    python -m communications.tests.race --url sqlite:////tmp/race.sqlite3 --scenarios daily

Creates a scratch database next to the given one, migrates it, then for each
scenario releases N threads (each with its own connection) at a barrier against
the gate, and prints a JSON summary. The tests in test_concurrency.py read it.
Every scenario also runs with the gate's lock disabled (the negative control),
which must show the race.
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


def scratch_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))


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
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SCRATCH_DB}")


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
    from communications.tests.helpers import local, req
    from ventas.tests.factories import ClienteFactory

    now = local(2026, 11, 25, 10)
    per_rep, errors = [], []
    for _ in range(repetitions):
        cliente = ClienteFactory()
        jobs = [lambda c=cliente: request_message(req(c), now=now) for _ in range(racers)]
        errors += race(jobs)
        per_rep.append(
            Message.objects.filter(cliente=cliente, counts_on=now.date(), status__in=COUNTED_STATUSES).count()
        )
    return {"per_rep": per_rep, "errors": errors}


def scenario_monthly(racers: int, repetitions: int) -> dict:
    """N racers, each on a different day of November, for the same client: exactly 8 in the month."""
    from communications.gate import request_message
    from communications.models import COUNTED_STATUSES, Message
    from communications.tests.helpers import local, req
    from ventas.tests.factories import ClienteFactory

    # Open days of November 2026 (Monday-Saturday, no holidays), one per racer.
    days = [d for d in range(2, 29) if local(2026, 11, d).weekday() < 6][:racers]
    per_rep, max_day, errors = [], [], []
    for _ in range(repetitions):
        cliente = ClienteFactory()
        jobs = [lambda c=cliente, d=d: request_message(req(c), now=local(2026, 11, d, 10)) for d in days]
        errors += race(jobs)
        rows = Message.objects.filter(cliente=cliente, status__in=COUNTED_STATUSES, counts_on__month=11)
        per_rep.append(rows.count())
        counts = {}
        for day in rows.values_list("counts_on", flat=True):
            counts[day] = counts.get(day, 0) + 1
        max_day.append(max(counts.values(), default=0))
    return {"per_rep": per_rep, "max_per_day": max_day, "errors": errors}


def scenario_batched(racers: int, repetitions: int) -> dict:
    """N racers each send one batch over an overlapping, shuffled subset of a few clients."""
    from django.db.models import Count

    from communications.gate import request_messages
    from communications.models import COUNTED_STATUSES, Message
    from communications.tests.helpers import local, req
    from ventas.tests.factories import ClienteFactory

    now = local(2026, 11, 25, 10)
    rng = random.Random(7)
    worst, errors = [], []
    for _ in range(repetitions):
        clients = [ClienteFactory() for _ in range(6)]
        batches = []
        for _ in range(racers):
            subset = rng.sample(clients, 4)
            rng.shuffle(subset)  # the gate must lock in a stable order whatever the request order
            batches.append([req(c) for c in subset])
        jobs = [lambda b=b: request_messages(b, now=now) for b in batches]
        errors += race(jobs)
        per_client = (
            Message.objects.filter(cliente__in=clients, counts_on=now.date(), status__in=COUNTED_STATUSES)
            .values("cliente")
            .annotate(n=Count("pk"))
            .values_list("n", flat=True)
        )
        worst.append(sorted(per_client))
    return {"per_rep": worst, "errors": errors}


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
    args = parser.parse_args(argv)

    create_scratch_database(args.url)
    setup_django(args.url)
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
