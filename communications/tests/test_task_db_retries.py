"""A task that meets a transient database error retries with backoff instead of failing."""

import pytest
from django.db import InterfaceError, OperationalError

from communications import tasks
from communications.models import SweepRun
from communications.stats import refresh as stats_refresh

pytestmark = pytest.mark.django_db


class FlakyOnce:
    """Raises ``error`` on the first call, then returns ``result``."""

    def __init__(self, error, result):
        self.error, self.result, self.calls = error, result, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            raise self.error
        return self.result


def test_a_beat_task_whose_first_call_finds_the_database_locked_is_retried_and_succeeds(monkeypatch):
    flaky = FlakyOnce(OperationalError("database table is locked"), {"days": 2})
    monkeypatch.setattr(stats_refresh, "refresh", flaky)

    result = tasks.refresh_stats.apply()

    assert flaky.calls == 2
    assert result.successful() and result.result == {"days": 2}
    runs = list(SweepRun.objects.filter(task="refresh_stats").order_by("started_at", "pk"))
    assert [run.ok for run in runs] == [False, True]
    assert runs[0].error.startswith("OperationalError")


def test_a_send_task_whose_connection_was_lost_is_retried(monkeypatch):
    outcome = type("Result", (), {"outcome": "sent", "retry_in": None})()
    flaky = FlakyOnce(InterfaceError("connection already closed"), outcome)
    monkeypatch.setattr(tasks.delivery, "deliver", flaky)

    result = tasks.send_message.apply(args=(123,))

    assert flaky.calls == 2
    assert result.successful() and result.result == "sent"


def test_a_database_that_stays_down_fails_the_task_after_a_bounded_number_of_retries(monkeypatch, settings):
    calls = []

    def always_locked():
        calls.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(stats_refresh, "refresh", always_locked)

    result = tasks.refresh_stats.apply()

    assert result.failed() and isinstance(result.result, OperationalError)
    assert len(calls) == settings.TASK_DB_RETRY_MAX + 1


def test_an_error_that_is_not_a_database_error_is_not_retried(monkeypatch):
    calls = []

    def broken():
        calls.append(1)
        raise ValueError("a bug, not a transient condition")

    monkeypatch.setattr(stats_refresh, "refresh", broken)

    result = tasks.refresh_stats.apply()

    assert result.failed() and isinstance(result.result, ValueError)
    assert len(calls) == 1


def test_every_task_of_the_module_retries_transient_database_errors_with_jittered_backoff():
    from celery import Task

    found = [obj for obj in vars(tasks).values() if isinstance(obj, Task)]
    assert len(found) >= 12
    for task in found:
        assert set(task.autoretry_for) >= {OperationalError, InterfaceError}, task.name
        assert task.retry_backoff and task.retry_jitter, task.name
        assert 0 < task.retry_kwargs["max_retries"] <= 10, task.name
