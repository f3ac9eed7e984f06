"""Poll Redvoiss for replies to marketing SMS and act on each reply exactly once.

A single opt-out word withdraws SMS consent (Ley 19.496 art. 28 B: the client
asked to stop; the ConsentEvent with its evidence is the proof) and cancels
queued SMS; ALTA/START grants it again. Any other reply is a response: it is
stamped on its message and recorded as a campaign interaction. The DeliveryEvent
(unique dedupe key) is written in the same transaction as the action, so a reply
seen by two polls acts once.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from communications import actions, api
from communications.channels.sms.keywords import OPT_IN, OPT_OUT, classify_reply, keyword_of
from communications.channels.sms.redvoiss import RedvoissService, ReplyItem
from communications.models import Category, ConsentEvent, DeliveryEvent, Message, Reason, Status
from ventas.models import CampaignInteraction
from ventas.phones import mask_phone

from .events import existing_keys, store_one
from .polling import group_by_batch, match, polled_batches

log = logging.getLogger(__name__)

PROVIDER = RedvoissService.provider
PK, BATCH, DESTINATION, CLIENTE, CAMPAIGN, SENT_AT, SCHEDULED_FOR = range(7)
# A client who answers has responded: a pending reactivation SMS is no longer needed (ARCHITECTURE §4).
CANCEL_ON_RESPONSE = ("reactivation_sms",)


def rows_to_poll(now, limit: int):
    cutoff = now - timedelta(hours=settings.SMS_REPLY_POLL_HOURS)
    recent = Q(sent_at__gte=cutoff) | Q(sent_at__isnull=True, status=Status.UNKNOWN, scheduled_for__gte=cutoff)
    return list(
        Message.objects.filter(recent, channel="sms", provider=PROVIDER, category=Category.MARKETING)
        .exclude(provider_batch_id="")
        .order_by("pk")
        .values_list("pk", "provider_batch_id", "destination", "cliente_id", "campaign_id", "sent_at", "scheduled_for")[
            :limit
        ]
    )


def poll_replies(now=None, *, service: RedvoissService | None = None, limit: int = 5000) -> dict:
    now = now or timezone.now()
    batches = group_by_batch(rows_to_poll(now, limit), BATCH)
    counts = defaultdict(int)
    if not batches:
        return {}
    own_service = service is None
    service = service or RedvoissService.from_settings()
    try:
        for batch_id, rows, items in polled_batches(
            "replies",
            PROVIDER,
            batches,
            service.batch_replies,
            counts,
            now,
            sent_at=SENT_AT,
            scheduled_for=SCHEDULED_FOR,
        ):
            if not items:
                continue
            keys = {dedupe_key(batch_id, item): item for item in items}
            seen = existing_keys(keys)
            for key, item in keys.items():
                if key not in seen:
                    counts[handle_reply(batch_id, key, item, match(rows, item.destination, DESTINATION), now)] += 1
    finally:
        if own_service:
            service.close()
    return dict(counts)


def dedupe_key(batch_id: str, item: ReplyItem) -> str:
    return f"{PROVIDER}:reply:{batch_id[:60]}:{item.fingerprint()[:40]}"


def handle_reply(batch_id: str, key: str, item: ReplyItem, row, now) -> str:
    """Store the reply once and act on it; returns what was done (for the task's counts)."""
    action = classify_reply(item.text) if row else ""
    with transaction.atomic():
        event = DeliveryEvent(
            message_id=row[PK] if row else None,
            provider=PROVIDER,
            event_type="reply",
            normalized=action or ("replied" if row else "unmatched"),
            raw_status=keyword_of(item.text)[:60] if action else "",
            dedupe_key=key,
            payload={"batch": batch_id, "item": item.raw},
            received_at=now,
        )
        if not store_one(event):
            return "duplicate"
        if row is None:
            log.warning(
                "reply in batch %s matches no message (from %s); recorded", batch_id, mask_phone(item.destination)
            )
            return "unmatched"
        cliente_id, message_id = row[CLIENTE], row[PK]
        evidence = {
            "provider": PROVIDER,
            "batch_id": batch_id,
            "message_id": message_id,
            "delivery_event_id": event.pk,
            "keyword": keyword_of(item.text),
            "from": mask_phone(item.destination or row[DESTINATION]),
            "received_at": now.isoformat(),
        }
        if action == OPT_OUT:
            api.opt_out(
                cliente_id,
                channel="sms",
                source=ConsentEvent.Source.SMS_KEYWORD,
                actor="sms",
                evidence=evidence,
                message_id=message_id,
            )
            _interaction(row, CampaignInteraction.Type.OPTED_OUT, event, now)
            log.info("sms opt-out by keyword: cliente=%s message=%s", cliente_id, message_id)
            return "opted_out"
        if action == OPT_IN:
            api.opt_in(
                cliente_id,
                channel="sms",
                source=ConsentEvent.Source.SMS_KEYWORD,
                actor="sms",
                evidence=evidence,
                message_id=message_id,
            )
            log.info("sms opt-in by keyword: cliente=%s message=%s", cliente_id, message_id)
            return "opted_in"
        actions.mark_replied(Message.objects.filter(pk=message_id), now)
        actions.cancel_messages(
            Message.objects.filter(cliente_id=cliente_id, kind__in=CANCEL_ON_RESPONSE), Reason.RESPONDED, now=now
        )
        _interaction(row, CampaignInteraction.Type.SMS_REPLIED, event, now)
        return "replied"


def _interaction(row, interaction_type: str, event: DeliveryEvent, now) -> None:
    CampaignInteraction.objects.create(
        cliente_id=row[CLIENTE],
        campaign_id=row[CAMPAIGN],
        interaction_type=interaction_type,
        timestamp=now,
        details={"message": row[PK], "delivery_event": event.pk},
    )
