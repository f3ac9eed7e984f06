"""Chaos proof: SIGKILL a real worker while its Redvoiss requests are in flight; nothing is sent twice.

    python -m communications.tests.chaos --database postgresql://... --broker redis://... \
        [--messages 40] [--workers 1] [--no-marker] [--kill-at before|during|after]

Creates a scratch database, queues marketing SMS (half one shared text, half
personalised), starts ``celery -A aremko worker`` processes that send them to a fake
Redvoiss, SIGKILLs one worker, starts a new one, runs the outbox sweep until nothing
is pending, and prints a JSON summary: statuses, what the fake received per message,
duplicates and lost. Lease, backoff, timeouts and the broker's visibility timeout are
shortened so this settles in seconds.

Where the kill lands (``--kill-at``):

- ``during`` (default): the fake answers slowly and the worker is killed while its
  requests are in flight.
- ``before``: the first worker pauses after claiming its rows and before marking them
  (batch_delivery.mark_calls_started); it is killed there, with rows claimed and
  nothing handed to the provider. Those rows are sent normally once their lease ends.
- ``after``: the first worker pauses once Redvoiss has answered and before the outcome
  is written (sms.sender.send_many returns late); it is killed there. Those rows
  become ``unknown`` (interrupted), never resent.

The pauses are patched into that worker process only; the restarted worker runs the
plain code.

``--no-marker`` is the negative control: workers run without the provider-call marker
(batch_delivery.CALL_MARKER off), and the same kill must produce second SMS.
``worker [--no-marker] [--pause-before-call S | --pause-after-call S] <celery args>``
is how the harness starts such a worker.
"""

import argparse
import datetime
import json
import sys
import tempfile
import time
import zoneinfo

from communications.tests import outbox_harness as h

SCRATCH_DB = "aremko_chaos"
# A past Tuesday morning in Santiago: marketing hours, so every message is due at once.
SEED_AT = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=zoneinfo.ZoneInfo("America/Santiago"))
SLOW_ANSWER = 1.5  # seconds the fake takes to answer, after it has queued the SMS (--kill-at during)
KILL_POINT_PAUSE = 60  # seconds the first worker waits at its kill point (before/after): it is killed there
KILL_POINTS = ("before", "during", "after")
SETTINGS = {
    "SEND_MODE": "batched",
    "SEND_BATCH_SIZE": 8,
    "SEND_BATCH_CONCURRENCY": 4,
    "MESSAGE_LEASE_SECONDS": 2,
    "MESSAGE_RETRY_BASE_SECONDS": 1,
    "MESSAGE_RETRY_MAX_SECONDS": 2,
    "REDVOISS_CONNECT_TIMEOUT": 1,
    "REDVOISS_READ_TIMEOUT": 4,
    "CELERY_VISIBILITY_TIMEOUT": 5,
    "SWEEP_REENQUEUE_AFTER_SECONDS": 3,
    "SMS_TRANSLITERATE_MARKETING": "true",
}


def pause_before_call(seconds: float) -> None:
    """Rows claimed, not yet marked nor sent: sleep before each provider-call marker."""
    from communications import batch_delivery

    original = batch_delivery.mark_calls_started

    def paused(messages, token, now):
        time.sleep(seconds)
        return original(messages, token, now)

    batch_delivery.mark_calls_started = paused


def pause_after_call(seconds: float) -> None:
    """Provider answered, outcome not yet written: sleep before handing the answer back."""
    from communications.channels.sms import sender

    original = sender.send_many

    def paused(messages, prepared):
        results = original(messages, prepared)
        time.sleep(seconds)
        return results

    sender.send_many = paused


def run_worker(argv: list[str]) -> None:
    """Entry point of a worker process (negative control: marker off; kill points: pauses)."""
    patches = []
    while argv and argv[0] in ("--no-marker", "--pause-before-call", "--pause-after-call"):
        if argv[0] == "--no-marker":
            patches.append(("no-marker", None))
            argv = argv[1:]
        else:
            patches.append((argv[0].removeprefix("--"), float(argv[1])))
            argv = argv[2:]
    if patches:
        import django

        django.setup()
        from communications import batch_delivery

        for name, value in patches:
            if name == "no-marker":
                batch_delivery.CALL_MARKER = False
            elif name == "pause-before-call":
                pause_before_call(value)
            else:
                pause_after_call(value)
    from celery.bin.celery import main

    sys.argv = ["celery", *argv]
    main()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        run_worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-marker", action="store_true")
    parser.add_argument("--kill-at", choices=KILL_POINTS, default="during")
    parser.add_argument("--settle", type=float, default=90.0, help="seconds allowed for the sweeps to settle")
    args = parser.parse_args()

    import redis

    from communications.channels.sms.fake_redvoiss import FakeRedvoiss

    redis.Redis.from_url(args.broker).flushdb()
    fake = FakeRedvoiss(port=0, username=h.FAKE_USER, password=h.FAKE_PASSWORD).start()
    if args.kill_at == "during":
        fake.set(slow_seconds=SLOW_ANSWER)
    database = h.create_scratch_database(args.database, SCRATCH_DB)
    env = h.environment(database, args.broker, REDVOISS_API_URL=fake.url, **SETTINGS)
    h.setup_django(env)

    from communications import tasks

    logs = tempfile.mkdtemp(prefix="chaos-")
    wrapper = [sys.executable, "-m", "communications.tests.chaos", "worker"]
    if args.no_marker:
        wrapper.append("--no-marker")
    # The restarted worker runs without the kill point's pause.
    restart_wrapper = list(wrapper)
    if args.kill_at != "during":
        wrapper += [f"--pause-{args.kill_at}-call", str(KILL_POINT_PAUSE)]
    workers = [h.Worker(env, f"chaos{i}", wrapper=wrapper, log=f"{logs}/w{i}.log") for i in range(args.workers)]

    clients = h.seed_clients(args.messages)
    half = len(clients) // 2
    shared = "Promo de invierno en Aremko."
    ids = h.queue_messages(clients[:half], channel="sms", text=shared, tag="shared", now=SEED_AT)
    ids += h.queue_messages(
        clients[half:], channel="sms", text="Hola {{ nombre }}, vuelve a Aremko.", tag="personal", now=SEED_AT
    )

    from communications.models import Message

    started = time.monotonic()
    if args.kill_at == "during":
        # Kill while requests are in flight: the fake has queued some sends and answers each after SLOW_ANSWER.
        h.wait_until(lambda: sum(fake.received.values()) >= max(3, len(ids) // 4), timeout=60, step=0.05)
        time.sleep(0.2)
    elif args.kill_at == "before":
        # Kill once rows are claimed (sending, claim token set); the worker is pausing before marking them.
        h.wait_until(
            lambda: Message.objects.filter(pk__in=ids, status="sending", claim_token__isnull=False).exists(),
            timeout=60,
            step=0.05,
        )
        time.sleep(0.3)
    else:
        # Kill once Redvoiss has accepted requests; the worker is pausing before writing their outcomes.
        h.wait_until(lambda: sum(fake.received.values()) >= 1, timeout=60, step=0.05)
        time.sleep(0.5)
    killed_at = time.monotonic() - started
    received_at_kill = sum(fake.received.values())
    claimed_at_kill = Message.objects.filter(pk__in=ids, status="sending", claim_token__isnull=False).count()
    marked_at_kill = Message.objects.filter(pk__in=ids, provider_call_started_at__isnull=False).count()
    workers[0].kill()
    workers[0] = h.Worker(env, "chaos-restarted", wrapper=restart_wrapper, log=f"{logs}/restarted.log")

    deadline = time.monotonic() + args.settle
    sweeps = 0
    while time.monotonic() < deadline and h.pending_count(ids):
        tasks.sweep_outbox.run()
        sweeps += 1
        time.sleep(1.0)
    for worker in workers:
        worker.stop()
    fake.stop()

    received = {str(pk): fake.received.get(str(pk), 0) for pk in ids}
    summary = {
        "messages": len(ids),
        "workers": args.workers,
        "marker": not args.no_marker,
        "kill_at": args.kill_at,
        "killed_after_seconds": round(killed_at, 2),
        "received_at_kill": received_at_kill,
        "claimed_at_kill": claimed_at_kill,
        "marked_at_kill": marked_at_kill,
        "sweeps": sweeps,
        "statuses": h.status_counts(ids),
        "pending": h.pending_count(ids),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "never_received": sum(1 for n in received.values() if n == 0),
        "received_total": sum(received.values()),
        "logs": logs,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
