"""Poll Redvoiss for replies to the SMS clients can answer, and act on each reply exactly once.

An opt-out in the client's words (``keywords.classify_reply``) withdraws SMS consent
(Ley 19.496 art. 28 B: the client asked to stop; the ConsentEvent with its evidence is
the proof) and cancels queued SMS; a bare ALTA/START grants it again. Any other reply
is a response: it is stamped on its message and recorded as a campaign interaction.
Every reply becomes an SmsReply row, the staff inbox; a possible opt-out or a
conversation waits there "por revisar". The DeliveryEvent (unique dedupe key) is
written in the same transaction as the action, so a reply seen by two polls acts once.

An opt-out must take effect within minutes, so nothing here waits on sends: one
HTTP call per batch, newest SMS first, and batches are asked at least every minute
for the whole reply window (``SMS_REPLY_POLL_HOURS``).
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from communications import actions, api
from communications.channels.sms.keywords import OPT_IN, OPT_OUT, REVIEW, classify_reply, keyword_of
from communications.channels.sms.redvoiss import RedvoissService, ReplyItem
from communications.models import Category, ConsentEvent, DeliveryEvent, Message, Reason, SmsReply, Status
from ventas.models import CampaignInteraction
from ventas.phones import mask_phone

from .events import existing_keys, store_one
from .polling import group_by_batch, match, polled_batches

log = logging.getLogger(__name__)

PROVIDER = RedvoissService.provider
PK, BATCH, DESTINATION, CLIENTE, CAMPAIGN, SENT_AT, SCHEDULED_FOR = range(7)
# A client who answers has responded: a pending reactivation SMS is no longer needed (ARCHITECTURE §4).
CANCEL_ON_RESPONSE = ("reactivation_sms",)


def answerable_categories() -> tuple[str, ...]:
    """Categories sent through the reply-capable endpoint (sender: ``allow_reply``)."""
    if settings.SMS_TRANSACTIONAL_REPLY_CAPABLE:
        return (Category.MARKETING, Category.TRANSACTIONAL)
    return (Category.MARKETING,)


def rows_to_poll(now, limit: int):
    cutoff = now - timedelta(hours=settings.SMS_REPLY_POLL_HOURS)
    recent = Q(sent_at__gte=cutoff) | Q(sent_at__isnull=True, status=Status.UNKNOWN, scheduled_for__gte=cutoff)
    # This runs every minute over a log that only grows: status and a lower bound on
    # scheduled_for (a week of slack for late sends) keep it on the (status, scheduled_for) index.
    indexed = Q(
        status__in=(Status.SENT, Status.DELIVERED, Status.UNKNOWN), scheduled_for__gte=cutoff - timedelta(days=7)
    )
    return list(
        Message.objects.filter(recent, indexed, channel="sms", provider=PROVIDER, category__in=answerable_categories())
        .exclude(provider_batch_id="")
        # Newest first: if the limit bites, the SMS most likely to be answered are read.
        .order_by("-pk")
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
    """Store the reply once, file it in the inbox and act on it; returns what was done (for the task's counts)."""
    action = classify_reply(item.text)
    with transaction.atomic():
        event = DeliveryEvent(
            message_id=row[PK] if row else None,
            provider=PROVIDER,
            event_type="reply",
            normalized=(action or "replied") if row else "unmatched",
            raw_status=keyword_of(item.text)[:60] if action else "",
            dedupe_key=key,
            payload={"batch": batch_id, "item": item.raw},
            received_at=now,
        )
        if not store_one(event):
            return "duplicate"
        reply = SmsReply(
            cliente_id=row[CLIENTE] if row else None,
            message_id=row[PK] if row else None,
            delivery_event=event,
            phone=(item.destination or (row[DESTINATION] if row else ""))[:40],
            text=item.text,
            kind=_INBOX_KIND.get(action, SmsReply.Kind.CONVERSATION),
            # A keyword acted on needs nobody; everything else is read by a person.
            needs_review=row is None or action not in (OPT_OUT, OPT_IN),
            received_at=now,
        )
        if row is None:
            reply.save()
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
            reply.consent_event = api.opt_out(
                cliente_id,
                channel="sms",
                source=ConsentEvent.Source.SMS_KEYWORD,
                actor="sms",
                evidence=evidence,
                message_id=message_id,
            )
            reply.save()
            _interaction(row, CampaignInteraction.Type.OPTED_OUT, event, now)
            log.info("sms opt-out by reply: cliente=%s message=%s", cliente_id, message_id)
            return "opted_out"
        if action == OPT_IN:
            reply.consent_event = api.opt_in(
                cliente_id,
                channel="sms",
                source=ConsentEvent.Source.SMS_KEYWORD,
                actor="sms",
                evidence=evidence,
                message_id=message_id,
            )
            reply.save()
            log.info("sms opt-in by keyword: cliente=%s message=%s", cliente_id, message_id)
            return "opted_in"
        reply.save()
        actions.mark_replied(Message.objects.filter(pk=message_id), now)
        actions.cancel_messages(
            Message.objects.filter(cliente_id=cliente_id, kind__in=CANCEL_ON_RESPONSE), Reason.RESPONDED, now=now
        )
        _interaction(row, CampaignInteraction.Type.SMS_REPLIED, event, now)
        return "to_review" if action == REVIEW else "replied"


_INBOX_KIND = {OPT_OUT: SmsReply.Kind.OPT_OUT, OPT_IN: SmsReply.Kind.OPT_IN, REVIEW: SmsReply.Kind.REVIEW}


def _interaction(row, interaction_type: str, event: DeliveryEvent, now) -> None:
    CampaignInteraction.objects.create(
        cliente_id=row[CLIENTE],
        campaign_id=row[CAMPAIGN],
        interaction_type=interaction_type,
        timestamp=now,
        details={"message": row[PK], "delivery_event": event.pk},
    )


# --- the inbox, for staff -------------------------------------------------------


def count_to_review() -> int:
    """Replies waiting for a person (the admin index and the dashboard show this number)."""
    return SmsReply.objects.filter(needs_review=True).count()


def mark_reviewed(queryset, actor: str, now=None) -> int:
    return queryset.filter(needs_review=True).update(
        needs_review=False, reviewed_at=now or timezone.now(), reviewed_by=actor[:150]
    )


def apply_opt_out(queryset, actor: str, now=None) -> int:
    """Staff read a reply as "stop": withdraw SMS consent like the keyword would; returns clients opted out.

    The consent change goes through the gate's action (ledger entry, queued SMS
    cancelled); the reply keeps the link to it and leaves the review list.
    """
    now = now or timezone.now()
    done = 0
    for reply in queryset.filter(cliente__isnull=False, consent_event__isnull=True).order_by("pk"):
        with transaction.atomic():
            reply.consent_event = api.opt_out(
                reply.cliente_id,
                channel="sms",
                source=ConsentEvent.Source.ADMIN,
                actor=actor,
                evidence={"sms_reply_id": reply.pk, "message_id": reply.message_id, "reviewed_by": actor[:150]},
                message_id=reply.message_id,
            )
            reply.needs_review, reply.reviewed_at, reply.reviewed_by = False, now, actor[:150]
            reply.save(update_fields=["consent_event", "needs_review", "reviewed_at", "reviewed_by"])
        done += 1
    return done
