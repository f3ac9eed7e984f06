"""Poll Redvoiss for the delivery status of recent SMS and move their rows forward.

One query loads the rows to poll, one HTTP call per batch, then a bounded number
of queries for the whole run (events: two; status changes: two per distinct
provider word). ``actions.transition`` only moves rows forward, so a late or
repeated status changes nothing; an unknown provider word is stored and logged,
never fatal. An ``unknown`` send (ambiguous outcome) with a batch id is resolved
here too.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from communications import actions
from communications.channels.sms.redvoiss import UNKNOWN_STATUS, RedvoissService
from communications.models import DeliveryEvent, Message, Reason, Status
from ventas.models import CampaignInteraction

from .events import digest, store_new
from .polling import group_by_batch, match, polled_batches

log = logging.getLogger(__name__)

PROVIDER = RedvoissService.provider
_TARGET = {"sent": Status.SENT, "delivered": Status.DELIVERED, "failed": Status.FAILED}
_RANK = {UNKNOWN_STATUS: 0, "sent": 1, "delivered": 2, "failed": 2}
PK, BATCH, DESTINATION, SENT_AT, SCHEDULED_FOR = range(5)


def rows_to_poll(now, limit: int):
    cutoff = now - timedelta(hours=settings.SMS_STATUS_POLL_HOURS)
    recent = Q(sent_at__gte=cutoff) | Q(sent_at__isnull=True, scheduled_for__gte=cutoff)
    return list(
        Message.objects.filter(recent, channel="sms", provider=PROVIDER, status__in=(Status.SENT, Status.UNKNOWN))
        .exclude(provider_batch_id="")
        .order_by("pk")
        .values_list("pk", "provider_batch_id", "destination", "sent_at", "scheduled_for")[:limit]
    )


def poll_status(now=None, *, service: RedvoissService | None = None, limit: int = 5000) -> dict:
    now = now or timezone.now()
    batches = group_by_batch(rows_to_poll(now, limit), BATCH)
    counts = defaultdict(int)
    if not batches:
        return {}
    own_service = service is None
    service = service or RedvoissService.from_settings()
    events: list[DeliveryEvent] = []
    latest: dict[int, tuple[str, str]] = {}  # message id -> (normalized, raw status)
    try:
        for batch_id, rows, items in polled_batches(
            "status", PROVIDER, batches, service.batch_status, counts, now, sent_at=SENT_AT, scheduled_for=SCHEDULED_FOR
        ):
            for item in items:
                row = match(rows, item.destination, DESTINATION)
                normalized = item.normalized
                if normalized == UNKNOWN_STATUS:
                    log.warning("batch %s: unknown status word %r recorded", batch_id, item.raw_status[:40])
                    counts["unknown_word"] += 1
                events.append(
                    DeliveryEvent(
                        message_id=row[PK] if row else None,
                        provider=PROVIDER,
                        event_type="status",
                        normalized=normalized,
                        raw_status=item.raw_status[:60],
                        dedupe_key=f"{PROVIDER}:status:{batch_id[:60]}:"
                        + digest(item.destination, item.raw_status, item.code),
                        payload={"batch": batch_id, "item": item.raw},
                        received_at=now,
                    )
                )
                if row is None:
                    counts["unmatched"] += 1
                    continue
                previous = latest.get(row[PK])
                if previous is None or _RANK[normalized] >= _RANK[previous[0]]:
                    latest[row[PK]] = (normalized, item.raw_status)
    finally:
        if own_service:
            service.close()
    counts["events"] = len(store_new(events))
    apply_statuses(latest, now, counts)
    return dict(counts)


def apply_statuses(latest: dict[int, tuple[str, str]], now, counts) -> None:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for message_id, key in latest.items():
        groups[key].append(message_id)
    delivered: list[int] = []
    for (normalized, raw), ids in groups.items():
        rows = Message.objects.filter(pk__in=ids)
        target = _TARGET.get(normalized)
        if target is not None:
            extra = {"reason": Reason.PROVIDER_REJECTED, "detail": raw} if target == Status.FAILED else {}
            moved = actions.transition(rows, target, now=now, provider_status=raw[:40], **extra)
            counts[normalized] += moved
            if target == Status.DELIVERED:
                delivered += ids
        actions.record_provider_status(rows, raw)
    if delivered:
        _record_delivered_campaigns(delivered, now)


def _record_delivered_campaigns(ids: list[int], now) -> None:
    """Campaign reporting: one sms_delivered interaction per message delivered in this run."""
    just_delivered = Message.objects.filter(
        pk__in=ids, status=Status.DELIVERED, delivered_at=now, campaign__isnull=False
    ).values_list("pk", "cliente_id", "campaign_id")
    CampaignInteraction.objects.bulk_create(
        CampaignInteraction(
            cliente_id=cliente_id,
            campaign_id=campaign_id,
            interaction_type=CampaignInteraction.Type.SMS_DELIVERED,
            timestamp=now,
            details={"message": pk},
        )
        for pk, cliente_id, campaign_id in just_delivered
    )
