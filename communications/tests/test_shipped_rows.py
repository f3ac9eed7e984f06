"""Shipped rows come back after a flush, and replaying them on a full database changes nothing."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from communications.models import MessageTemplate, TriggerSetting
from communications.tests.shipped import restore_shipped_rows


def snapshot():
    return (
        sorted(PeriodicTask.objects.values_list("name", "task", "enabled")),
        sorted(MessageTemplate.objects.values_list("kind", "channel", "variant", "subject", "body")),
        sorted(TriggerSetting.objects.values_list("name", "send_hour", "window_days", "delay_hours")),
    )


@pytest.mark.django_db(transaction=True)
def test_replaying_the_data_migrations_restores_the_shipped_rows_after_a_flush():
    restore_shipped_rows()  # an earlier transactional test may have flushed them already
    shipped = snapshot()
    assert all(shipped), "the data migrations ship schedules, templates and trigger settings"
    assert len(shipped[0]) >= 15

    restore_shipped_rows()
    assert snapshot() == shipped  # idempotent on a full database

    call_command("flush", interactive=False, verbosity=0)
    assert not PeriodicTask.objects.filter(name__startswith="communications:").exists()
    restore_shipped_rows()
    assert snapshot() == shipped
