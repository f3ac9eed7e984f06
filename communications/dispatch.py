"""Hand queued messages to Celery, only once the transaction that queued them commits.

If the process dies between commit and enqueue, the sweep re-enqueues the row
(ARCHITECTURE.md §2), so nothing is lost; a second enqueue is harmless because
the send task claims rows before it sends.

SEND_MODE "single" publishes one task per message; "batched" publishes, per channel
and category, one batch task per SEND_BATCH_SIZE messages, each claiming an even share
(each claims whatever is due, so a task that finds nothing left is cheap). Each goes to its category's queue
(communications.routing).
"""

import math
from collections import Counter

from django.conf import settings
from django.db import transaction


def enqueue(message_ids) -> None:
    from .models import Message
    from .tasks import send_batch, send_message

    ids = list(message_ids)
    if not ids:
        return
    rows = Message.objects.filter(pk__in=ids).values_list("pk", "channel", "category")
    if settings.SEND_MODE == "single":
        for pk, _channel, category in rows:
            send_message.apply_async((pk,), {"category": category})
        return
    for (channel, category), n in Counter((channel, category) for _pk, channel, category in rows).items():
        needed = math.ceil(n / settings.SEND_BATCH_SIZE)
        # A burst larger than one batch is shared evenly between its tasks, so the workers
        # taking them finish together (300 rows: two tasks of 150, not 200 and then 100).
        share = {"size": math.ceil(n / needed)} if needed > 1 else {}
        for _ in range(needed):
            send_batch.apply_async((channel,), {"category": category, **share})


def enqueue_on_commit(message_ids) -> None:
    ids = list(message_ids)
    transaction.on_commit(lambda: enqueue(ids))
