"""Prometheus metrics (names follow the Prometheus client's conventions: unit suffixes, _total).

Two sources:
- counters and histograms kept by the process that does the work (the gate, delivery,
  provider requests, beat sweeps). Workers and beat serve their own on
  ``METRICS_WORKER_PORT`` (one per host; prometheus_client's multiprocess mode when
  ``PROMETHEUS_MULTIPROC_DIR`` is set, so prefork children add up);
- gauges the web endpoint reads cheaply at scrape time: outbox depth and age through
  the (status, scheduled_for) index, open alerts, and 30-day totals from the rollup.
Labels are channels, kinds, statuses, reasons and error classes: never ids or addresses.
"""

import logging
import os
import threading
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, make_wsgi_app

log = logging.getLogger(__name__)

MESSAGES = Counter(
    "aremko_messages_total",
    "Messages that reached a status, by channel, kind and status.",
    ["channel", "kind", "status"],
)
BLOCKED = Counter(
    "aremko_messages_blocked_total",
    "Messages the gate blocked, by channel and reason code.",
    ["channel", "reason"],
)
PROVIDER_SECONDS = Histogram(
    "aremko_provider_request_seconds",
    "Provider HTTP request latency, by provider and outcome (HTTP status or transport error).",
    ["provider", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PROVIDER_ERRORS = Counter(
    "aremko_provider_errors_total",
    "Provider request errors, by provider and error class (transient, permanent, ambiguous, configuration).",
    ["provider", "error_class"],
)
SWEEP_SECONDS = Histogram(
    "aremko_sweep_duration_seconds",
    "Duration of beat tasks, by task and result.",
    ["task", "ok"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300),
)


def message_status(channel: str, kind: str, status: str, count: int = 1) -> None:
    if count:
        MESSAGES.labels(channel, kind, str(status)).inc(count)


def message_blocked(channel: str, reason: str) -> None:
    BLOCKED.labels(channel, str(reason)).inc()


def provider_request(provider: str, outcome, seconds: float) -> None:
    label = "2xx" if isinstance(outcome, int) and 200 <= outcome < 300 else str(outcome)
    PROVIDER_SECONDS.labels(provider, label).observe(seconds)


def provider_error(provider: str, exc: Exception) -> None:
    PROVIDER_ERRORS.labels(provider, type(exc).__name__).inc()


def sweep_finished(task: str, ok: bool, seconds: float) -> None:
    SWEEP_SECONDS.labels(task.split(":", 1)[0], "true" if ok else "false").observe(seconds)


# --- exposition -----------------------------------------------------------------


def process_registry() -> CollectorRegistry:
    """This process's counters, or every process's on this host in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


class WebGauges:
    """Gauges computed at scrape time from indexed queries and the rollup."""

    def collect(self):
        from django.db.models import Count, Min, Sum
        from django.utils import timezone

        from ..models import Alert, DailyStat, Message, Status

        now = timezone.now()
        depth = GaugeMetricFamily(
            "aremko_outbox_messages", "Messages waiting in the outbox, by status.", labels=["status"]
        )
        waiting = (
            Message.objects.filter(status__in=(Status.SCHEDULED, Status.QUEUED, Status.SENDING))
            .values("status")
            .annotate(n=Count("pk"))
        )
        counts = {row["status"]: row["n"] for row in waiting}
        for status in (Status.SCHEDULED, Status.QUEUED, Status.SENDING):
            depth.add_metric([status.value], counts.get(status, 0))
        yield depth

        oldest = Message.objects.filter(status=Status.QUEUED, scheduled_for__lte=now).aggregate(m=Min("scheduled_for"))
        age = (now - oldest["m"]).total_seconds() if oldest["m"] else 0.0
        yield GaugeMetricFamily("aremko_outbox_oldest_due_seconds", "Age of the oldest due queued message.", value=age)

        open_alerts = GaugeMetricFamily("aremko_alerts_open", "Open alerts, by code.", labels=["code"])
        for row in Alert.objects.filter(resolved_at__isnull=True).values("code").annotate(n=Count("pk")):
            open_alerts.add_metric([row["code"]], row["n"])
        yield open_alerts

        since = timezone.localdate(now) - timedelta(days=30)
        totals = GaugeMetricFamily(
            "aremko_rollup_messages_30d",
            "Messages of the last 30 local days from the rollup, by channel and outcome.",
            labels=["channel", "outcome"],
        )
        fields = ("requested", "blocked", "sent", "delivered", "failed", "unknown")
        rows = DailyStat.objects.filter(day__gte=since).values("channel").annotate(**{f: Sum(f) for f in fields})
        for row in rows:
            for field in fields:
                totals.add_metric([row["channel"], field], row[field] or 0)
        yield totals


def render_web_metrics() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    registry.register(WebGauges())
    body = generate_latest(registry) + generate_latest(process_registry())
    return body, CONTENT_TYPE_LATEST


_server_started = threading.Lock()
_server = None


def serve_process_metrics(port: int) -> None:
    """Serve this host's worker or beat counters on ``port`` (token or allowlist like the web endpoint)."""
    global _server
    with _server_started:
        if _server is not None or not port:
            return
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        metrics_app = make_wsgi_app(process_registry())

        def guarded(environ, start_response):
            if not _allowed(environ):
                start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"No autorizado\n"]
            return metrics_app(environ, start_response)

        class Quiet(WSGIRequestHandler):
            def log_message(self, format, *args):  # scrapes every 15 s would flood the log
                pass

        from django.conf import settings

        _server = make_server(settings.METRICS_WORKER_BIND, port, guarded, handler_class=Quiet)
        threading.Thread(target=_server.serve_forever, name="metrics", daemon=True).start()
        log.info("metrics served on port %s", port)


def _allowed(environ) -> bool:
    from .views import metrics_allowed

    return metrics_allowed(environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR", ""))


def connect_celery() -> None:
    """Workers and beat serve this host's counters once they are up (when a port is set)."""
    from celery.signals import beat_init, worker_ready
    from django.conf import settings

    def _serve(**kwargs):
        serve_process_metrics(settings.METRICS_WORKER_PORT)

    worker_ready.connect(_serve, weak=False)
    beat_init.connect(_serve, weak=False)
