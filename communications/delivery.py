"""Delivering one message: claim it, check it may still go, render it, send it, record the outcome.

Effectively-once on top of at-least-once Celery: the claim is an atomic
conditional UPDATE (only one worker wins it), and an ambiguous provider outcome
becomes ``unknown`` rather than a second SMS.
"""

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q
from django.utils import timezone

from ventas.models import CampaignInteraction

from .actions import settle_interrupted, transition
from .channels import email as email_channel
from .channels.errors import AmbiguousError, ChannelError, ConfigurationError, PermanentError, TransientError
from .channels.sms import sender as sms_sender
from .gate import load_facts, locked_clients
from .kinds import get_kind
from .models import Category, Message, Reason, SendingControl, Status
from .ops import metrics
from .policy import choose_channel
from .rendering import TemplateError, render_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # sent | unknown | failed | cancelled | blocked | expired | retry | paused | not_claimed
    retry_in: float | None = None


def pause_key(channel: str) -> str:
    return f"communications:channel-paused:{channel}"


def channel_paused(channel: str) -> bool:
    return bool(cache.get(pause_key(channel)))


def claim(message_id: int, now) -> Message | None:
    """Take the row for sending, or None if another worker has it or it is no longer sendable.

    A row whose lease ran out *after* its provider call started is not claimable: the
    worker died mid-call and the SMS may be out, so it is settled as ``unknown`` instead.
    """
    one = Message.objects.filter(pk=message_id)
    settle_interrupted(one, now)
    lease = now + timedelta(seconds=settings.MESSAGE_LEASE_SECONDS)
    claimable = Q(status=Status.QUEUED) | Q(
        status=Status.SENDING, lease_until__lte=now, provider_call_started_at__isnull=True
    )
    token = uuid.uuid4()
    if SendingControl.marketing_is_paused():
        # "Pausar marketing" (admin): the row stays queued; the sweep offers it again later.
        one = one.exclude(category=Category.MARKETING)
    won = one.filter(claimable, scheduled_for__lte=now).update(
        status=Status.SENDING, lease_until=lease, attempts=F("attempts") + 1, claim_token=token
    )
    return Message.objects.select_related("cliente").get(pk=message_id) if won else None


def mark_provider_call_started(message: Message, now) -> bool:
    """Commit, before the request, that this claim is about to call the provider.

    Only the holder of the current claim token may do it, and only once: if another
    worker re-claimed the row meanwhile (our lease ran out), nothing matches and we
    must not send. Outside a transaction the UPDATE commits at once, which is the point.
    """
    return bool(
        Message.objects.filter(
            pk=message.pk,
            claim_token=message.claim_token,
            status=Status.SENDING,
            provider_call_started_at__isnull=True,
        ).update(provider_call_started_at=now)
    )


def recheck(message: Message, now) -> tuple[str, str]:
    """Consent, contact and expiry at the last moment, under the client's lock. Returns (status, reason)."""
    if message.expires_at and message.expires_at <= now:
        return Status.EXPIRED, Reason.EXPIRED
    with locked_clients([message.cliente_id]):
        # The gate's own reading of the client (consent, address opt-outs, erased addresses).
        facts = load_facts([message.cliente_id], with_segments=False)[message.cliente_id]
    channel, destination, reason = choose_channel(get_kind(message.kind), message.category, facts, message.channel)
    if reason == Reason.OPTED_OUT:
        return Status.CANCELLED, reason
    if reason:
        return Status.BLOCKED, reason
    # Send to the client's current details, not those of when it was queued.
    message.destination = destination
    return "", ""


def deliver(message_id: int, now=None) -> DeliveryResult:
    now = now or timezone.now()
    message = claim(message_id, now)
    if message is None:
        return DeliveryResult("not_claimed")
    result = _deliver_claimed(message, now)
    metrics.message_status(message.channel, message.kind, result.outcome)
    return result


def _deliver_claimed(message: Message, now) -> DeliveryResult:
    one = Message.objects.filter(pk=message.pk)

    if channel_paused(message.channel):
        return _hold_for_pause(one, now)

    status, reason = recheck(message, now)
    if status:
        transition(one, status, reason=reason, now=now)
        return DeliveryResult(status)

    try:
        subject, body = render_message(message, message.cliente)
    except TemplateError as exc:
        transition(one, Status.BLOCKED, reason=Reason.TEMPLATE_ERROR, detail=str(exc), now=now)
        return DeliveryResult(Status.BLOCKED)

    # What the text costs is recorded whatever the outcome: an "unknown" SMS may have been billed.
    prepared = sms_sender.prepare(message, body) if message.channel == "sms" else None
    costing = prepared.costing() if prepared else {"body": body}
    if not mark_provider_call_started(message, now):
        return DeliveryResult("not_claimed")
    try:
        if prepared:
            receipt = sms_sender.send(message, body, prepared)
        else:
            receipt = email_channel.send(message, subject, body)
    except TransientError as exc:
        return _retry_or_fail(message, exc, now)
    except AmbiguousError as exc:
        transition(
            one,
            Status.UNKNOWN,
            reason=exc.reason,
            detail=str(exc),
            now=now,
            subject=subject,
            provider=exc.provider,
            provider_batch_id=exc.batch_id,
            **costing,
        )
        log.warning("message %s outcome unknown (%s); not resending", message.pk, type(exc).__name__)
        return DeliveryResult(Status.UNKNOWN)
    except ConfigurationError as exc:
        cache.set(pause_key(message.channel), True, settings.CHANNEL_PAUSE_SECONDS)
        log.error("channel %s misconfigured (%s): paused for %ss", message.channel, exc, settings.CHANNEL_PAUSE_SECONDS)
        return _hold_for_pause(one, now)
    except (PermanentError, ChannelError) as exc:
        # Failed rows no longer hold a cap slot: the client's allowance is released.
        # A refused message is not billed, but its segments stay visible to staff.
        costing = {**costing, "cost_clp": 0} if prepared else costing
        transition(one, Status.FAILED, reason=exc.reason, detail=exc.detail or str(exc), now=now, **costing)
        if getattr(exc, "bounce", ""):
            # An address the server says does not exist is not tried again until it changes.
            from .bounces import record_bounce

            record_bounce(message, exc.bounce, {"smtp": exc.detail}, now=now)
        return DeliveryResult(Status.FAILED)

    transition(
        one,
        Status.SENT,
        now=now,
        subject=subject,
        body=receipt.body,
        provider=receipt.provider,
        provider_batch_id=receipt.batch_id,
        provider_message_id=receipt.message_id,
        segments=receipt.segments,
        encoding=receipt.encoding,
        cost_clp=receipt.cost_clp,
        lease_until=None,
        reason="",
        detail="",
    )
    if message.campaign_id:
        CampaignInteraction.objects.create(
            cliente_id=message.cliente_id,
            campaign_id=message.campaign_id,
            interaction_type=f"{message.channel}_sent",
            timestamp=now,
            details={"message": message.pk},
        )
    return DeliveryResult(Status.SENT)


def _hold_for_pause(one, now) -> DeliveryResult:
    """Keep the row (no attempt spent) until the channel's pause ends; the sweep then picks it up.

    Bad credentials mean the provider queued nothing, so the call marker is cleared.
    """
    one.update(
        lease_until=now + timedelta(seconds=settings.CHANNEL_PAUSE_SECONDS),
        attempts=F("attempts") - 1,
        reason=Reason.PROVIDER_MISCONFIGURED,
        provider_call_started_at=None,
    )
    return DeliveryResult("paused")


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter, capped (attempt 1 -> up to base seconds)."""
    ceiling = min(settings.MESSAGE_RETRY_MAX_SECONDS, settings.MESSAGE_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _retry_or_fail(message: Message, exc: ChannelError, now) -> DeliveryResult:
    one = Message.objects.filter(pk=message.pk)
    if message.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
        transition(one, Status.FAILED, reason=Reason.PROVIDER_UNAVAILABLE, detail=str(exc), now=now)
        return DeliveryResult(Status.FAILED)
    delay = backoff_seconds(message.attempts)
    # The lease ends when the retry is due, so the retry (or the sweep) can claim it again.
    # A transient error is a definite non-send (nothing queued at the provider), so the
    # call marker is cleared in the same UPDATE: the retry sends normally.
    one.update(
        lease_until=now + timedelta(seconds=delay),
        reason_detail=f"retry: {exc}"[:500],
        provider_call_started_at=None,
    )
    return DeliveryResult("retry", retry_in=delay)
