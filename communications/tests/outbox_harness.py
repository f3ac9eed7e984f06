"""Real worker processes draining a real outbox: shared by the chaos proof and bench.send_bench.

The calling process configures Django against a scratch database (PostgreSQL, or a
SQLite file), seeds queued messages through the gate, and starts ``celery -A aremko
worker`` subprocesses with the same environment; they send to a fake Redvoiss (and an
SMTP sink) that run in threads of the calling process, which count what arrived.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
FAKE_USER, FAKE_PASSWORD = "harness", "harness-secret"


def scratch_url(url: str, name: str) -> str:
    if url.startswith("sqlite:"):
        return url
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))


def create_scratch_database(url: str, name: str) -> str:
    """A fresh, empty database; returns its URL."""
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return url
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return scratch_url(url, name)


def environment(database_url: str, broker_url: str, **settings) -> dict:
    """Process environment for the harness and its workers (settings read from it: aremko.settings)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aremko.settings",
        "DEBUG": "false",
        "SECRET_KEY": "harness-only-secret-key",
        "SUPPRESSION_KEY": "harness-only-suppression-key",
        # Every message must reach the receivers to be counted: no control group here.
        "HOLDOUT_PERCENT": "0",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
        "REDVOISS_USERNAME": FAKE_USER,
        "REDVOISS_PASSWORD": FAKE_PASSWORD,
        "SMS_BACKEND": "communications.channels.sms.backends.redvoiss.SmsBackend",
        "PYTHONPATH": str(ROOT),
    }
    env.update({k: str(v) for k, v in settings.items()})
    return env


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_clients(n: int) -> list[int]:
    from ventas.models import Cliente

    start = Cliente.objects.count()
    Cliente.objects.bulk_create(
        [
            Cliente(nombre=f"Cliente{i} Prueba", telefono=f"+569{60_000_000 + i}", email=f"c{i}@example.cl")
            for i in range(start, start + n)
        ],
        batch_size=2000,
    )
    return list(Cliente.objects.order_by("-pk").values_list("pk", flat=True)[:n])[::-1]


def queue_messages(client_ids, *, channel: str, text: str, tag: str, now, subject: str = "", kind="campaign"):
    """Queue one marketing message per client through the gate (which publishes the send tasks on commit)."""
    from communications.gate import MessageRequest, request_messages

    requests = [
        MessageRequest(
            cliente_id=cid,
            kind=kind,
            channel=channel,
            idempotency_key=f"{tag}:{cid}",
            custom_text=text,
            subject=subject,
        )
        for cid in client_ids
    ]
    outcomes = request_messages(requests, now=now)
    return [o.message.pk for o in outcomes if o.message is not None and o.message.status == "queued"]


class Worker:
    """``celery -A aremko worker`` in its own session, so SIGKILL takes it and its children."""

    def __init__(
        self,
        env: dict,
        name: str,
        *,
        queues="transactional,marketing,control",
        wrapper=None,
        log=None,
        pool="solo",
        concurrency=1,
        loglevel="WARNING",
    ):
        command = [*(wrapper or [sys.executable, "-m", "celery"]), "-A", "aremko", "worker"]
        command += [f"--pool={pool}", f"--concurrency={concurrency}", "-Q", queues, "-n", f"{name}@%h"]
        command += [f"--loglevel={loglevel}"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup, no ack, no except/finally in the task."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()


def wait_until(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def status_counts(ids) -> dict:
    from django.db.models import Count

    from communications.models import Message

    rows = Message.objects.filter(pk__in=ids).values("status", "reason").annotate(n=Count("pk"))
    return {f"{r['status']}:{r['reason']}" if r["reason"] else r["status"]: r["n"] for r in rows}


def pending_count(ids) -> int:
    from communications.models import Message

    return Message.objects.filter(pk__in=ids, status__in=("scheduled", "queued", "sending")).count()
