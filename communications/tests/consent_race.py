"""Two records sharing an address change their consent at once, in opposite order, on PostgreSQL.

    python -m communications.tests.consent_race --url postgresql://... [--repetitions 5]

The preference centre checks then changes under locks; an opt-out of one record
reaches every record sharing its email (phones are unique per record) (set_consent locks them all). If
a caller locked only its own record first, two sharers opting out together would
each hold one lock and wait for the other's: a deadlock PostgreSQL breaks by
aborting one of them. Each repetition releases both at a barrier and makes them
meet again inside their first locks, so the opposite order is certain. The negative
control restores the old locking (own record first) and must show the deadlock.
Prints a JSON summary; test_consent_lock_order.py reads it.
"""

import argparse
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from communications.tests.race import race

SCRATCH_DB = "aremko_lifecycle_fin_consent_race"
MEETING_TIMEOUT = 1.0  # seconds the first request waits for the second inside its locks


def scratch_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))


def prepare(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    os.environ["DATABASE_URL"] = scratch_url(url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aremko.settings_test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


_meeting = {"barrier": None}


def meet_inside_the_first_locks():
    """Both requests meet right after taking their first locks (preferences reads the choices then).

    With the old order each holds its own record there, so the meeting happens and the
    deadlock is certain. With the locks taken together the second request waits for the
    first's locks and never arrives: the first gives up waiting after a moment and goes on.
    """
    from communications import preferences

    original = preferences._prefs

    def meeting(cliente_id):
        prefs = original(cliente_id)
        try:
            _meeting["barrier"].wait(timeout=MEETING_TIMEOUT)
        except threading.BrokenBarrierError:
            pass
        return prefs

    preferences._prefs = meeting


def own_record_first():
    """The negative control: lock only the client's own record up front, as before the fix."""
    from communications import actions

    original = actions.consent_lock_ids
    actions.consent_lock_ids = lambda cliente_id: {cliente_id}
    return lambda: setattr(actions, "consent_lock_ids", original)


def scenario(repetitions: int, tag: str) -> dict:
    from communications.models import ClientPreferences, ConsentEvent
    from communications.preferences import apply_choices
    from ventas.tests.factories import ClienteFactory

    outcomes = []
    wanted = {"email_marketing": False}  # phones are unique per record; an email is often shared
    for i in range(repetitions):
        email = f"compartido.{tag}{i}@example.cl"
        pair = [ClienteFactory(email=email), ClienteFactory(email=email.upper())]
        jobs = [
            lambda c=c: apply_choices(c.pk, wanted, source=ConsentEvent.Source.PREFERENCE_CENTER, evidence={})
            for c in pair
        ]
        _meeting["barrier"] = threading.Barrier(2)
        started = time.monotonic()
        errors = race(jobs)
        prefs = ClientPreferences.objects.filter(cliente__in=pair)
        outcomes.append(
            {
                "errors": errors,
                "seconds": round(time.monotonic() - started, 2),
                "both_opted_out": prefs.count() == 2 and not any(p.accepts_marketing_email for p in prefs),
                # One withdrawal per record: its own request's, or the one its sharer's reached it with.
                "withdrawals": sorted(
                    ConsentEvent.objects.filter(cliente__in=pair, granted=False).values_list("cliente_id", flat=True)
                ),
                "pair": [c.pk for c in pair],
            }
        )
    return {"reps": outcomes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="libpq URL of a PostgreSQL server (maintenance database)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--control-repetitions", type=int, default=3)
    args = parser.parse_args(argv)
    prepare(args.url)  # the scratch database stays until the next run drops it, as race.py's does
    meet_inside_the_first_locks()
    summary = {"ordered": scenario(args.repetitions, "o")}
    restore = own_record_first()
    try:
        summary["control"] = scenario(args.control_repetitions, "c")
    finally:
        restore()
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
