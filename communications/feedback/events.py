"""DeliveryEvent rows: every raw provider event stored once (dedupe_key is unique)."""

import hashlib
import json
import logging

from django.db import IntegrityError, transaction

from communications.models import DeliveryEvent

log = logging.getLogger(__name__)


def digest(*parts) -> str:
    """A short stable hash for dedupe keys (keys stay well under 200 characters)."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def existing_keys(keys) -> set[str]:
    return set(DeliveryEvent.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))


def store_new(events: list[DeliveryEvent]) -> list[DeliveryEvent]:
    """Insert the events whose key is not stored yet; returns those inserted (two queries)."""
    unique = {e.dedupe_key: e for e in events}
    known = existing_keys(unique)
    new = [e for key, e in unique.items() if key not in known]
    if not new:
        return []
    try:
        with transaction.atomic():
            DeliveryEvent.objects.bulk_create(new)
        return new
    except IntegrityError:
        # Another poller stored some of them meanwhile: fall back to one savepoint each.
        log.info("delivery events raced; inserting %d one by one", len(new))
    inserted = []
    for event in new:
        event.pk = None
        if store_one(event):
            inserted.append(event)
    return inserted


def store_one(event: DeliveryEvent) -> bool:
    """Insert one event; False if it was already stored (the caller then does nothing)."""
    try:
        with transaction.atomic():
            event.save(force_insert=True)
        return True
    except IntegrityError:
        return False


def record_poll_error(provider: str, batch_id: str, exc: Exception, now) -> None:
    """A poll answer we could not use: kept once per distinct answer, for staff and the provider."""
    raw = getattr(exc, "raw", b"") or b""
    excerpt = raw[:500].decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)[:500]
    store_one(
        DeliveryEvent(
            provider=provider,
            event_type="poll_error",
            normalized="error",
            raw_status=type(exc).__name__[:60],
            dedupe_key=f"{provider}:error:{batch_id[:60]}:{digest(str(exc), excerpt)}",
            payload={"batch": batch_id, "error": str(exc)[:300], "excerpt": excerpt},
            received_at=now,
        )
    )
