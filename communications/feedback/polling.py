"""Which batches to poll, and how often.

Statuses keep changing for up to 24 hours; a young batch changes fast and an old
one slowly, so old batches are polled less often. Replies are different: a BAJA
may come days later and must take effect within two minutes (Ley 19.496 art. 28 B),
so every batch in the reply window is asked on every run of the one-minute beat
(the throttle only stops runs closer together than that). The throttle lives in
the cache: losing it costs an extra HTTP call, never a wrong status. A poll run asks
every due batch through one service object, so one HTTP session (kept-alive connection,
one TLS handshake) serves the whole run; the caller closes it.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.core.cache import cache

from communications.channels.errors import ChannelError, ConfigurationError, TransientError
from communications.channels.sms.phones import same_destination

from .events import record_poll_error

log = logging.getLogger(__name__)

# (age below, poll at most every N seconds); older than the last bound: every 30 minutes.
_INTERVALS = ((timedelta(minutes=15), 0), (timedelta(hours=2), 120), (timedelta(hours=6), 600))
_OLD_INTERVAL = 1800
# Replies: young batches on every run, older ones at most every 50 s (beat runs every 60 s).
_REPLY_INTERVALS = ((timedelta(minutes=15), 0),)
_REPLY_OLD_INTERVAL = 50


def poll_interval(age: timedelta, kind: str = "status") -> int:
    if kind == "replies":
        intervals, old = _REPLY_INTERVALS, _REPLY_OLD_INTERVAL
    else:
        intervals, old = _INTERVALS, _OLD_INTERVAL
    for bound, seconds in intervals:
        if age < bound:
            return seconds
    return old


def due_for_poll(kind: str, batch_id: str, age: timedelta) -> bool:
    """True if this batch should be asked now; claims the slot for the interval (cache.add is atomic)."""
    seconds = poll_interval(age, kind)
    if not seconds:
        return True
    return cache.add(f"communications:poll:{kind}:{batch_id}", 1, timeout=seconds)


def group_by_batch(rows, batch_index: int) -> dict[str, list]:
    batches: dict[str, list] = defaultdict(list)
    for row in rows:
        batches[row[batch_index]].append(row)
    return batches


def match(rows: list, destination: str, destination_index: int):
    """The row of a batch an item is about: same handset, or the batch's only row if the item names none."""
    for row in rows:
        if same_destination(row[destination_index], destination):
            return row
    if len(rows) == 1 and not destination:
        return rows[0]
    return None


def polled_batches(kind: str, provider: str, batches: dict, fetch, counts, now, *, sent_at: int, scheduled_for: int):
    """Yield (batch_id, rows, items) for each batch due for a poll; throttling and errors handled once here.

    Bad credentials stop the whole run (retrying every batch would be a storm against
    the provider); a transient failure skips the batch until the next poll; an unusable
    answer is recorded as a DeliveryEvent and skipped, never fatal.
    """
    for batch_id, rows in batches.items():
        age = now - (rows[0][sent_at] or rows[0][scheduled_for])
        if not due_for_poll(kind, batch_id, age):
            counts["throttled"] += 1
            continue
        try:
            items = fetch(batch_id)
        except ConfigurationError as exc:
            log.error("%s poll stopped: %s is misconfigured (%s)", kind, provider, exc)
            counts["configuration_error"] += 1
            return
        except TransientError as exc:
            log.warning("%s poll of batch %s failed for now: %s", kind, batch_id, exc)
            counts["transient_error"] += 1
            continue
        except ChannelError as exc:
            log.warning("%s poll of batch %s: unusable answer (%s); recorded", kind, batch_id, exc)
            record_poll_error(provider, batch_id, exc, now)
            counts["bad_answer"] += 1
            continue
        counts["batches"] += 1
        yield batch_id, rows, items
