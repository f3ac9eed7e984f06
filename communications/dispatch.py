"""Hand queued messages to Celery, only once the transaction that queued them commits.

If the process dies between commit and enqueue, the sweep re-enqueues the row
(ARCHITECTURE.md §2), so nothing is lost; a second enqueue is harmless because
the send task claims the row before it sends.
"""

from django.db import transaction


def enqueue(message_ids) -> None:
    from .tasks import send_message

    for message_id in message_ids:
        send_message.delay(message_id)


def enqueue_on_commit(message_ids) -> None:
    ids = list(message_ids)
    transaction.on_commit(lambda: enqueue(ids))
