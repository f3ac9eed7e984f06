"""A row per run of every beat task (SweepRun), so silence is visible.

The dashboard shows each task's last run, the alerts fire when a sweep falls
silent, and /healthz/sistema reads the outbox sweep's last run: all from these
rows, never from the broker or the beat process itself.
"""

import functools
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import SweepRun
from .ops import metrics

log = logging.getLogger(__name__)

# Every Nth run also deletes old rows, so the table stays small without a task of its own.
PRUNE_EVERY = 200


def recorded(task_name):
    """Decorate a beat task: a SweepRun row before it starts, its counts or error when it ends.

    ``task_name`` is a string, or a callable taking the task's arguments (one row per
    trigger: ``lambda name: f"trigger:{name}"``).
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            name = task_name(*args, **kwargs) if callable(task_name) else task_name
            run = SweepRun.objects.create(task=name[:80], started_at=timezone.now())
            started = time.monotonic()
            try:
                result = func(*args, **kwargs)
            except Exception as exc:
                SweepRun.objects.filter(pk=run.pk).update(
                    finished_at=timezone.now(), ok=False, error=f"{type(exc).__name__}: {exc}"[:500]
                )
                metrics.sweep_finished(name, False, time.monotonic() - started)
                raise
            metrics.sweep_finished(name, True, time.monotonic() - started)
            SweepRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), ok=True, counts=_jsonable(result))
            if run.pk % PRUNE_EVERY == 0:
                prune()
            return result

        return wrapper

    return decorate


def prune(now=None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.SWEEP_RUN_RETENTION_DAYS)
    deleted, _ = SweepRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def last_runs(now=None) -> dict[str, SweepRun]:
    """The latest run of each task name up to ``now`` (one query; the dashboard and health checks read it)."""
    latest = {}
    now = now or timezone.now()
    recent = SweepRun.objects.filter(started_at__gte=now - timedelta(days=2)).order_by("task", "-started_at")
    for run in recent.iterator():
        latest.setdefault(run.task, run)
    return latest


def _jsonable(result) -> dict:
    if isinstance(result, dict):
        return {
            str(k): (v if isinstance(v, (int, float, str, bool, type(None))) else _jsonable(v))
            for k, v in result.items()
        }
    if isinstance(result, (int, float, str, bool)):
        return {"result": result}
    return {}
