"""Thin Celery tasks. Arguments are ids; the work is in delivery, gate and actions."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import actions, batch_delivery, delivery, gate
from .dispatch import enqueue
from .models import Message, Status
from .sweeps import recorded

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def send_message(self, message_id: int, category: str = ""):
    """One message, one provider request (SEND_MODE=single). ``category`` only routes the task."""
    result = delivery.deliver(message_id)
    if result.outcome == "retry":
        # Attempts are bounded on the row (MESSAGE_MAX_ATTEMPTS), not by Celery.
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_batch(self, channel: str, category: str = "marketing"):
    """Claim and send up to SEND_BATCH_SIZE due messages of one channel and category (SEND_MODE=batched).

    A full batch means more may be waiting: the task publishes its successor rather than
    looping, so each task stays short (a killed worker loses at most one batch's lease).
    """
    report = batch_delivery.deliver_batch(channel, category)
    if report.full:
        send_batch.apply_async((channel,), {"category": category})
    if report.retry_in is not None:
        # Rows waiting for a transient retry are claimable again when their lease ends.
        send_batch.apply_async((channel,), {"category": category}, countdown=report.retry_in)
    return dict(report.outcomes)


@shared_task(ignore_result=True)
@recorded("sweep_outbox")
def sweep_outbox():
    """Every minute: expire, promote due scheduled rows, re-enqueue rows left behind."""
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
    enqueue(stale)
    log.info("sweep: interrupted=%d expired=%d promoted=%s re-enqueued=%d", interrupted, expired, promoted, len(stale))
    return {"interrupted": interrupted, "expired": expired, "promoted": promoted, "reenqueued": len(stale)}


@shared_task(ignore_result=True)
@recorded(lambda name: f"trigger:{name}")
def run_trigger(name: str):
    """One trigger's sweep (beat runs each at its own interval; keys make repeats harmless)."""
    from .triggers import TRIGGERS, run

    report = run(TRIGGERS[name], timezone.now())
    return {f"{k}:{s}:{r}": n for (k, s, r), n in report.counts.items()}


@shared_task(ignore_result=True)
@recorded("poll_sms_status")
def poll_sms_status():
    """Beat, every minute or so: delivery status of SMS sent in the last 24 hours."""
    from .feedback.status import poll_status

    counts = poll_status()
    log.info("sms status poll: %s", counts)
    return counts


@shared_task(ignore_result=True)
@recorded("poll_sms_replies")
def poll_sms_replies():
    """Beat, every minute or so: replies to recent marketing SMS (opt-out keywords included)."""
    from .feedback.replies import poll_replies

    counts = poll_replies()
    log.info("sms reply poll: %s", counts)
    return counts
