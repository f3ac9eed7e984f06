"""Health checks: one function per check, each returning a CheckResult.

Two audiences, two endpoints (shared/specs/operations.md):
- readiness (/readyz) checks only this process's own dependencies (database, and the
  broker and shared cache where configured), so a load balancer never takes the admin
  or the unsubscribe pages out of rotation because of a system backlog;
- system health (/healthz/sistema) checks the whole system for uptime monitors: beat's
  last outbox sweep, the age of the oldest due message, paused channels.
Every check is a bounded, indexed query or one round trip, cheap to poll every 10 s.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from ..models import Channel, Message, Status, SweepRun

NOT_CONFIGURED = "no configurado"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    # "unknown" checks pass: they cannot be answered here (e.g. no shared cache).
    unknown: bool = False

    def as_dict(self) -> dict:
        state = "desconocido" if self.unknown else ("ok" if self.ok else "error")
        return {"ok": self.ok, "estado": state, "detalle": self.detail}


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"; the class name says which
        return CheckResult(False, f"sin conexión ({type(exc).__name__})")
    return CheckResult(True, connection.vendor)


def _broker_url() -> str:
    return settings.CELERY_BROKER_URL or ""


def check_broker() -> CheckResult:
    url = _broker_url()
    if not url.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
        # The demo's filesystem broker and the tests' memory broker live in this process.
        return CheckResult(True, NOT_CONFIGURED)
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=settings.HEALTH_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:  # a refused or timed-out connection is the answer, not an error
        return CheckResult(False, f"sin conexión ({type(exc).__name__})")
    return CheckResult(True, url.split("://", 1)[0])


def shared_cache_configured() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("locmem.LocMemCache", "dummy.DummyCache"))


def check_cache() -> CheckResult:
    if not shared_cache_configured():
        return CheckResult(True, NOT_CONFIGURED)
    try:
        cache.set("communications:health", "1", 30)
        ok = cache.get("communications:health") == "1"
    except Exception as exc:  # the cache client's own errors vary by backend
        return CheckResult(False, f"sin conexión ({type(exc).__name__})")
    return CheckResult(ok, "ok" if ok else "no responde")


def check_outbox_sweep(now=None) -> CheckResult:
    now = now or timezone.now()
    last = SweepRun.objects.filter(task="sweep_outbox").order_by("-started_at").values_list("started_at", flat=True)
    last = last.first()
    if last is None:
        return CheckResult(False, "beat no ha ejecutado el barrido de la bandeja de salida")
    age = (now - last).total_seconds()
    limit = settings.HEALTH_SWEEP_MAX_AGE_SECONDS
    return CheckResult(age <= limit, f"último barrido hace {int(age)} s (máximo {limit} s)")


def check_outbox_age(now=None) -> CheckResult:
    now = now or timezone.now()
    # Served by the (status, scheduled_for) index: the oldest due queued row.
    oldest = (
        Message.objects.filter(status=Status.QUEUED, scheduled_for__lte=now)
        .order_by("scheduled_for")
        .values_list("scheduled_for", flat=True)
        .first()
    )
    if oldest is None:
        return CheckResult(True, "sin mensajes en espera")
    age = (now - oldest).total_seconds()
    limit = settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    return CheckResult(age <= limit, f"el mensaje más antiguo espera hace {int(age)} s (máximo {limit} s)")


def check_channels() -> CheckResult:
    if not shared_cache_configured():
        # Each worker pauses in its own memory: this process cannot see theirs.
        return CheckResult(True, "sin caché compartida: no se puede saber", unknown=True)
    from ..delivery import channel_paused

    paused = [c for c in Channel.values if channel_paused(c)]
    if paused:
        return CheckResult(False, "canal en pausa (credenciales del proveedor): " + ", ".join(paused))
    return CheckResult(True, "ningún canal en pausa")


READINESS = {"base_de_datos": check_database, "broker": check_broker, "cache": check_cache}
SYSTEM = {
    "barrido_bandeja": check_outbox_sweep,
    "antiguedad_bandeja": check_outbox_age,
    "canales": check_channels,
}


def run(checks: dict) -> tuple[bool, dict]:
    results = {name: check() for name, check in checks.items()}
    return all(r.ok for r in results.values()), {name: r.as_dict() for name, r in results.items()}
