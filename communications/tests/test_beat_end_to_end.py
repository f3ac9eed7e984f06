"""A real beat (django-celery-beat's database schedules) and a real worker on Redis run the sweeps.

Beat reads the PeriodicTask rows our migrations registered (sped up to every second
here), publishes to Redis, and the worker runs the trigger and outbox sweeps, which
enqueue and send. Only transactional kinds are used, so the test does not depend on
the hour of the day at which CI happens to run (quiet hours).
"""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from communications import api
from communications.channels.sms.backends import locmem
from communications.models import Message, Status
from communications.tests.helpers import new_client
from communications.tests.test_sms_end_to_end import status_of, wait_for
from communications.tests.test_trigger_scenarios import book


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_run_the_trigger_and_outbox_sweeps_end_to_end(shipped_rows, celery_worker_on_redis):
    from celery.beat import EmbeddedService

    from aremko.celery import app

    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    schedules = PeriodicTask.objects.filter(name__startswith="communications:")
    assert schedules.filter(task="communications.tasks.run_trigger").count() == 9
    assert schedules.filter(task="communications.tasks.sweep_outbox").exists()
    assert schedules.filter(task__startswith="communications.tasks.poll_sms_").count() == 2
    # Only one schedule kind per task (django-celery-beat validates it when beat saves on exit).
    schedules.update(interval=every_second, crontab=None, clocked=None, solar=None)

    now = timezone.now()
    # A visit 23.5 hours from now: its reminder was due half an hour ago and only the sweep creates it.
    visitor = new_client()
    start = timezone.localtime(now + datetime.timedelta(hours=23, minutes=30))
    book(visitor, start.date(), start.hour, start.minute, booked_at=now - datetime.timedelta(days=5))
    # A message scheduled a few seconds ahead: only the outbox sweep can promote it.
    later = api.send(
        new_client(),
        "booking_confirmation",
        at=now + datetime.timedelta(seconds=3),
        context={"fecha": "mañana", "hora": "18:00"},
    )
    assert later.status == "scheduled"

    beat = EmbeddedService(app, thread=True, scheduler_cls="django_celery_beat.schedulers:DatabaseScheduler")
    beat.start()
    try:
        reminder = wait_for(
            lambda: Message.objects.filter(cliente=visitor, kind="appointment_reminder").first(),
            timeout=40,
            what="the reminder sweep",
        )
        wait_for(lambda: status_of(reminder.pk) == Status.SENT, timeout=40, what="reminder sent")
        wait_for(lambda: status_of(later.message.pk) == Status.SENT, timeout=40, what="scheduled message sent")
    finally:
        # Ask beat to stop without waiting on it: a beat thread that died would never say it
        # stopped, and the wait would hang the suite instead of failing this test.
        beat.service.stop()
        beat.join(timeout=10)
    assert not beat.is_alive()
    sent_to = [m.reference for m in locmem.outbox]
    assert sent_to.count(str(reminder.pk)) == 1  # sweeps ran many times, the reminder went once
    assert sent_to.count(str(later.message.pk)) == 1
