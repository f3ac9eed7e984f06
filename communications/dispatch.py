"""Hand queued messages to Celery, only once the transaction that queued them commits.

If the process dies between commit and enqueue, the sweep re-enqueues the row
(ARCHITECTURE.md §2), so nothing is lost; a second enqueue is harmless because
the send task claims rows before it sends.

SEND_MODE "single" publishes one task per message; "batched" publishes, per channel
and category, one batch task per SEND_BATCH_SIZE messages, each claiming an even share
(each claims whatever is due, so a task that finds nothing left is cheap). Each goes to its category's queue
(communications.routing).

A broker that is down (Redis stopped, restarting, unreachable) never raises into the
caller: the rows are already committed as queued, so a failed publish is logged (ids
and counts only) and left to the outbox sweep, which re-publishes queued rows once the
broker answers again. ``publish`` is the one place that decides this, for messages,
bookings and campaign runs alike.
"""

import logging
import math
from collections import Counter

from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError

log = logging.getLogger(__name__)

# What a publish raises when the broker is unreachable: kombu wraps connection errors in
# its OperationalError after Celery's own short publish retries; a raw socket error may
# also escape from a connection that died mid-write.
BROKER_ERRORS = (KombuError, OSError)


def publish(task, args=(), kwargs=None, *, what: str, **options) -> bool:
    """``task.apply_async``; False (and a warning) instead of an exception when the broker is down."""
    try:
        task.apply_async(args, kwargs or {}, **options)
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable, %s left for the sweep: %s", what, type(exc).__name__)
        return False
    return True


def enqueue(message_ids) -> int:
    """Publish the send tasks of these messages; returns how many tasks went out.

    Stops at the first failed publish: each one waits for Celery's publish retries,
    and the sweep will publish the rest anyway.
    """
    from .models import Message
    from .tasks import send_batch, send_message

    ids = list(message_ids)
    if not ids:
        return 0
    rows = Message.objects.filter(pk__in=ids).values_list("pk", "channel", "category")
    published = 0
    if settings.SEND_MODE == "single":
        for pk, _channel, category in rows:
            if not publish(send_message, (pk,), {"category": category}, what="message"):
                return published
            published += 1
        return published
    for (channel, category), n in Counter((channel, category) for _pk, channel, category in rows).items():
        needed = math.ceil(n / settings.SEND_BATCH_SIZE)
        # A burst larger than one batch is shared evenly between its tasks, so the workers
        # taking them finish together (300 rows: two tasks of 150, not 200 and then 100).
        share = {"size": math.ceil(n / needed)} if needed > 1 else {}
        for _ in range(needed):
            if not publish(send_batch, (channel,), {"category": category, **share}, what=f"{channel} {category} batch"):
                return published
            published += 1
    return published


def enqueue_on_commit(message_ids) -> None:
    ids = list(message_ids)
    transaction.on_commit(lambda: enqueue(ids))
