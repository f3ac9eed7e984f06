"""Thin Celery tasks. Arguments are ids; the work is in delivery, gate and actions."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import actions, batch_delivery, campaign_runs, delivery, gate
from .dispatch import enqueue, publish
from .models import Message, Status
from .sweeps import recorded

log = logging.getLogger(__name__)

# A locked SQLite file, a busy database or a dropped PostgreSQL connection passes in
# seconds; failing the task would lose a sweep or leave a reminder to the next minute's
# re-enqueue. Every task here is safe to run again (rows are claimed under a lease,
# trigger keys make repeats harmless), so it retries with jittered backoff, a bounded
# number of times: a database that stays down is an outage for /readyz, not a retry loop.
# The bound sits in retry_kwargs so it never limits send_message's own row-driven retries.
DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "retry_kwargs": {"max_retries": settings.TASK_DB_RETRY_MAX},
}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, ignore_result=True, **DB_RETRY)
def send_message(self, message_id: int, category: str = ""):
    """One message, one provider request (SEND_MODE=single). ``category`` only routes the task."""
    result = delivery.deliver(message_id)
    if result.outcome == "retry":
        # Attempts are bounded on the row (MESSAGE_MAX_ATTEMPTS), not by Celery.
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, **DB_RETRY)
def send_batch(self, channel: str, category: str = "marketing", size: int | None = None):
    """Claim and send up to ``size`` (at most SEND_BATCH_SIZE) due messages of one channel and category.

    SEND_MODE=batched; ``size`` is this task's even share of a larger burst (dispatch.enqueue).

    A full batch means more may be waiting: the task publishes its successor rather than
    looping, so each task stays short (a killed worker loses at most one batch's lease).
    A task given its share of a burst has no successor: its siblings cover the rest of the
    burst (dispatch.enqueue), and a successor would only run an empty claim at the end.
    """
    report = batch_delivery.deliver_batch(channel, category, size=size)
    # A broker gone meanwhile loses neither: the rows stay queued and the sweep publishes them.
    if report.full and (size is None or report.size < size):  # (a share cut by a smaller SEND_BATCH_SIZE)
        publish(send_batch, (channel,), {"category": category}, what="successor batch")
    if report.retry_in is not None:
        # Rows waiting for a transient retry are claimable again when their lease ends.
        publish(send_batch, (channel,), {"category": category}, what="retry batch", countdown=report.retry_in)
    return dict(report.outcomes)


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("sweep_outbox")
def sweep_outbox():
    """Every minute: expire, promote due scheduled rows, re-enqueue rows left behind.

    "Left behind" includes rows whose on-commit publish failed because the broker was
    down (dispatch.publish logs it and leaves them queued), and campaign runs whose start
    was never published: a second publish of either is harmless (rows are claimed under
    a lease; a run is claimed from pending once).
    """
    now = timezone.now()
    reenqueue_after = timedelta(seconds=settings.SWEEP_REENQUEUE_AFTER_SECONDS)
    interrupted = actions.settle_interrupted(now=now)
    expired = actions.expire_due(now)
    promoted = gate.promote_due(now)
    stale = list(
        Message.objects.filter(
            status=Status.QUEUED, queued_at__lte=now - reenqueue_after, scheduled_for__lte=now
        ).values_list("pk", flat=True)[:5000]
    ) + list(Message.objects.filter(status=Status.SENDING, lease_until__lte=now).values_list("pk", flat=True)[:5000])
    published = enqueue(stale)
    runs = campaign_runs.republish_pending(now - reenqueue_after)
    log.info(
        "sweep: interrupted=%d expired=%d promoted=%s re-enqueued=%d published=%d runs=%d",
        interrupted,
        expired,
        promoted,
        len(stale),
        published,
        runs,
    )
    return {
        "interrupted": interrupted,
        "expired": expired,
        "promoted": promoted,
        "reenqueued": len(stale),
        "published": published,
        "campaign_runs": runs,
    }


@shared_task(ignore_result=True, **DB_RETRY)
@recorded(lambda name: f"trigger:{name}")
def run_trigger(name: str):
    """One trigger's sweep (beat runs each at its own interval; keys make repeats harmless)."""
    from .triggers import TRIGGERS, run

    report = run(TRIGGERS[name], timezone.now())
    return {f"{k}:{s}:{r}": n for (k, s, r), n in report.counts.items()}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **DB_RETRY)
def booking_saved_task(venta_id: int):
    """A booking was saved (published on commit, once per booking per transaction): confirm or cancel."""
    from . import booking_events

    return booking_events.handle(venta_id)


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("poll_sms_status")
def poll_sms_status():
    """Beat, every minute or so: delivery status of SMS sent in the last 24 hours."""
    from .feedback.status import poll_status

    counts = poll_status()
    log.info("sms status poll: %s", counts)
    return counts


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("poll_sms_replies")
def poll_sms_replies():
    """Beat, every minute or so: replies to recent marketing SMS (opt-out keywords included)."""
    from .feedback.replies import poll_replies

    counts = poll_replies()
    log.info("sms reply poll: %s", counts)
    return counts


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("refresh_stats")
def refresh_stats():
    """Beat, every 5 minutes: attribution and rollup buckets of the last 2 local days (overwrite)."""
    from .stats.refresh import refresh

    return refresh()


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("refresh_stats_nightly")
def refresh_stats_nightly():
    """Beat, nightly: the last 35 days (late receipts, opens, complaints), future days, and the lift."""
    from .stats.refresh import refresh_nightly

    return refresh_nightly()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def run_campaign(run_id: int):
    """A campaign preview or send, started from the admin; progress is saved on the CampaignRun row."""
    from .campaign_runs import execute

    run = execute(run_id)
    return run.state if run else None


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("check_alerts")
def check_alerts():
    """Every 15 minutes: raise, repeat or resolve the KPI and invariant alerts; email new ones."""
    from .stats.alerts import check

    outcomes = check()
    return {o.code: o.action for o in outcomes if o.action != "unchanged"}


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("send_weekly_report")
def send_weekly_report():
    """Hourly: the previous ISO week's report, at the first run after Monday 08:00 local (once per week)."""
    from .stats.report import send_due

    result = send_due(timezone.now())
    return {"week": result.week, "sent": result.sent}


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("purge_message_bodies")
def purge_message_bodies():
    """Daily: texts and provider payloads older than MESSAGE_BODY_RETENTION_MONTHS (counts stay)."""
    from .privacy.retention import purge_old_bodies

    return purge_old_bodies()


@shared_task(ignore_result=True, **DB_RETRY)
@recorded("score_clients")
def score_clients():
    """Hourly check; retrains and rescores only when the current model is older than 7 days."""
    from .insights import scoring

    if not scoring.model_is_stale():
        return {"retrained": 0}
    result = scoring.train_and_score()
    return {"retrained": 1, "scored": result["scored"]}
