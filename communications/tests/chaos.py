"""Chaos proof: SIGKILL a real worker while its Redvoiss requests are in flight; nothing is sent twice.

    python -m communications.tests.chaos --database postgresql://... --broker redis://... \
        [--messages 40] [--workers 1] [--no-marker]

Creates a scratch database, queues marketing SMS (half one shared text, half
personalised), starts ``celery -A aremko worker`` processes that send them to a fake
Redvoiss answering slowly, SIGKILLs one worker while requests are in flight, starts a
new one, runs the outbox sweep until nothing is pending, and prints a JSON summary:
statuses, what the fake received per message, duplicates and lost. Lease, backoff,
timeouts and the broker's visibility timeout are shortened so this settles in seconds.

``--no-marker`` is the negative control: workers run without the provider-call marker
(batch_delivery.CALL_MARKER off), and the same kill must produce second SMS.
``worker [--no-marker] <celery args>`` is how the harness starts such a worker.
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
SLOW_ANSWER = 1.5  # seconds the fake takes to answer, after it has queued the SMS
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


def run_worker(argv: list[str]) -> None:
    """Entry point of a worker process (negative control: marker off)."""
    if argv and argv[0] == "--no-marker":
        argv = argv[1:]
        import django

        django.setup()
        from communications import batch_delivery

        batch_delivery.CALL_MARKER = False
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
    parser.add_argument("--settle", type=float, default=90.0, help="seconds allowed for the sweeps to settle")
    args = parser.parse_args()

    import redis

    from communications.channels.sms.fake_redvoiss import FakeRedvoiss

    redis.Redis.from_url(args.broker).flushdb()
    fake = FakeRedvoiss(port=0, username=h.FAKE_USER, password=h.FAKE_PASSWORD).start()
    fake.set(slow_seconds=SLOW_ANSWER)
    database = h.create_scratch_database(args.database, SCRATCH_DB)
    env = h.environment(database, args.broker, REDVOISS_API_URL=fake.url, **SETTINGS)
    h.setup_django(env)

    from communications import tasks

    logs = tempfile.mkdtemp(prefix="chaos-")
    wrapper = [sys.executable, "-m", "communications.tests.chaos", "worker"]
    if args.no_marker:
        wrapper.append("--no-marker")
    workers = [h.Worker(env, f"chaos{i}", wrapper=wrapper, log=f"{logs}/w{i}.log") for i in range(args.workers)]

    clients = h.seed_clients(args.messages)
    half = len(clients) // 2
    shared = "Promo de invierno en Aremko."
    ids = h.queue_messages(clients[:half], channel="sms", text=shared, tag="shared", now=SEED_AT)
    ids += h.queue_messages(
        clients[half:], channel="sms", text="Hola {{ nombre }}, vuelve a Aremko.", tag="personal", now=SEED_AT
    )

    # Kill while requests are in flight: the fake has queued some sends and answers each after SLOW_ANSWER.
    started = time.monotonic()
    h.wait_until(lambda: sum(fake.received.values()) >= max(3, len(ids) // 4), timeout=60, step=0.05)
    time.sleep(0.2)
    killed_at = time.monotonic() - started
    received_at_kill = sum(fake.received.values())
    workers[0].kill()
    workers[0] = h.Worker(env, "chaos-restarted", wrapper=wrapper, log=f"{logs}/restarted.log")

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
        "killed_after_seconds": round(killed_at, 2),
        "received_at_kill": received_at_kill,
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
