"""The gate's actions: consent changes and message lifecycle writes.

Every status change goes through ``transition``, which only moves a row
forward (models.TRANSITIONS): a late or repeated event updates nothing.
Consent changes lock the client like the gate does, write the ConsentEvent
(the legal proof) and cancel what is now forbidden, in one transaction.
"""

import logging
from contextlib import contextmanager

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import suppression
from .gate import locked_clients
from .kinds import get_kind
from .models import (
    PENDING_STATUSES,
    TRANSITIONS,
    AddressOptOut,
    ClientPreferences,
    ConsentEvent,
    Message,
    Reason,
    Status,
)
from .policy import Prefs, consent_reason

log = logging.getLogger(__name__)

_SOURCES_OF = {
    target: [source for source, targets in TRANSITIONS.items() if target in targets] for target in Status.values
}
_TIMESTAMP_OF = {
    Status.QUEUED: "queued_at",
    Status.SENT: "sent_at",
    Status.DELIVERED: "delivered_at",
    Status.FAILED: "failed_at",
    Status.BLOCKED: "closed_at",
    Status.CANCELLED: "closed_at",
    Status.EXPIRED: "closed_at",
}


def transition(queryset, to_status: str, *, reason=None, detail=None, now=None, **fields) -> int:
    """Move the rows of ``queryset`` that may legally reach ``to_status``; returns how many moved.

    ``reason`` / ``detail`` overwrite the row's when given ("" clears them).
    """
    now = now or timezone.now()
    updates = {"status": to_status, **fields}
    if reason is not None:
        updates["reason"] = reason
    if detail is not None:
        updates["reason_detail"] = detail[:500]
    stamp = _TIMESTAMP_OF.get(to_status)
    if stamp:
        updates[stamp] = now
    if to_status == Status.DELIVERED:
        # An "unknown" send later confirmed delivered did go out: it needs a sent_at (when the
        # provider call started) so its replies are read and its window counts from the send.
        updates["sent_at"] = Coalesce(F("sent_at"), F("provider_call_started_at"), Value(now))
    return queryset.filter(status__in=_SOURCES_OF[to_status]).update(**updates)


def record_provider_status(queryset, raw_status: str) -> int:
    """Show the provider's latest word on rows still awaiting a final status (no status change)."""
    return queryset.filter(status__in=(Status.SENT, Status.UNKNOWN)).update(provider_status=raw_status[:40])


def mark_replied(queryset, now=None) -> int:
    """A reply is a response (engagement); the first one is the one that counts."""
    return queryset.filter(replied_at__isnull=True).update(replied_at=now or timezone.now())


# --- consent -------------------------------------------------------------------

_FLAGS = {
    ("sms", "all"): ["accepts_sms"],
    ("email", "all"): ["accepts_email"],
    ("all", "all"): ["accepts_sms", "accepts_email"],
    ("sms", "marketing"): ["accepts_marketing_sms"],
    ("email", "marketing"): ["accepts_marketing_email"],
    ("all", "marketing"): ["accepts_promotional"],
    ("sms", "birthday"): ["accepts_birthday_sms"],
    ("all", "birthday"): ["accepts_birthday_sms"],
}


def set_consent(
    cliente_id: int,
    *,
    granted: bool,
    channel: str = "all",
    scope: str = "all",
    source: str = ConsentEvent.Source.API,
    actor: str = "",
    evidence: dict | None = None,
    message_id: int | None = None,
    now=None,
) -> ConsentEvent:
    """Grant or withdraw consent for a channel and scope; cancels pending messages it now forbids."""
    try:
        flags = _FLAGS[(channel, scope)]
    except KeyError:
        raise ValueError(f"unsupported consent change: channel={channel!r} scope={scope!r}") from None
    now = now or timezone.now()
    addresses = _addresses_reached(cliente_id, channel, scope)
    sharing = {ch: [c for c in suppression.clients_sharing(ch, a) if c != cliente_id] for ch, a in addresses.items()}
    # Every record sharing the address is locked with the client, so no decision slips between the writes.
    with locked_clients({cliente_id, *(c for ids in sharing.values() for c in ids)}):
        prefs, _ = ClientPreferences.objects.get_or_create(cliente_id=cliente_id)
        for flag in flags:
            setattr(prefs, flag, granted)
        prefs.save()
        event = ConsentEvent.objects.create(
            cliente_id=cliente_id,
            channel=channel,
            scope=scope,
            granted=granted,
            source=source,
            actor=actor[:150],
            evidence=evidence or {},
            message_id=message_id,
            created_at=now,
        )
        if granted:
            # The address's owner said yes again (marketing, or ALTA); other records keep their own choice.
            for ch, address in addresses.items():
                AddressOptOut.objects.filter(channel=ch, address=address).delete()
                if evidence:
                    # An erased client's address stays suppressed until a new opt-in *with evidence*
                    # (specs/trust.md): a ticked box alone does not undo an erasure.
                    from .privacy import suppression as erased

                    erased.lift(ch, address, evidence=evidence, now=now)
        else:
            cancelled = cancel_forbidden(cliente_id, Prefs.of(prefs), now=now)
            log.info(
                "consent withdrawn cliente=%s channel=%s scope=%s cancelled=%d", cliente_id, channel, scope, cancelled
            )
            for ch, address in addresses.items():
                AddressOptOut.objects.get_or_create(
                    channel=ch,
                    address=address,
                    defaults={"cliente_id": cliente_id, "source": source, "created_at": now},
                )
                for other in sharing[ch]:
                    _withdraw_shared_address(other, ch, cliente_id, source=source, actor=actor, now=now)
    return event


def consent_lock_ids(cliente_id: int) -> set[int]:
    """The client and every record sharing its phone or email: what a consent change of it may lock.

    A withdrawal reaches the records sharing the address (set_consent locks them all). A
    caller that checks before it changes (the preference centre, the unsubscribe link, a
    complaint) must take all these locks up front, in one ordered pass: locking only its
    own client first, then the others inside set_consent, deadlocks on PostgreSQL against
    a sharer doing the same in the opposite order.
    """
    from ventas.models import Cliente

    ids = {cliente_id}
    row = Cliente.objects.filter(pk=cliente_id).values("telefono", "email").first()
    if row is not None:
        for channel, address in suppression.addresses_of(row["telefono"], row["email"]).items():
            ids.update(suppression.clients_sharing(channel, address))
    return ids


@contextmanager
def locked_for_consent(cliente_id: int):
    """``locked_clients`` over ``consent_lock_ids``: check-then-change consent without a lock-order deadlock."""
    with locked_clients(consent_lock_ids(cliente_id)):
        yield


# Withdrawals that stop marketing to the address itself ("all" stops everything, marketing included).
_ADDRESS_SCOPES = (ConsentEvent.Scope.MARKETING, ConsentEvent.Scope.ALL)


def _addresses_reached(cliente_id: int, channel: str, scope: str) -> dict[str, str]:
    """{channel: normalised address} a marketing consent change of this client applies to."""
    if scope not in _ADDRESS_SCOPES:
        return {}
    from ventas.models import Cliente

    row = Cliente.objects.filter(pk=cliente_id).values("telefono", "email").first()
    if row is None:
        return {}
    own = suppression.addresses_of(row["telefono"], row["email"])
    return {ch: a for ch, a in own.items() if channel in ("all", ch)}


def _withdraw_shared_address(cliente_id: int, channel: str, origin_id: int, *, source, actor, now) -> None:
    """Another record with the same address: its marketing on that channel stops, with its own ledger entry."""
    prefs, _ = ClientPreferences.objects.get_or_create(cliente_id=cliente_id)
    flag = f"accepts_marketing_{channel}"
    if not getattr(prefs, flag):
        return
    setattr(prefs, flag, False)
    prefs.save()
    ConsentEvent.objects.create(
        cliente_id=cliente_id,
        channel=channel,
        scope=ConsentEvent.Scope.MARKETING,
        granted=False,
        source=source,
        actor=actor[:150],
        evidence={"direccion_compartida_con_cliente": origin_id},
        created_at=now,
    )
    cancelled = cancel_forbidden(cliente_id, Prefs.of(prefs), now=now)
    log.info(
        "address opt-out reached cliente=%s channel=%s from=%s cancelled=%d", cliente_id, channel, origin_id, cancelled
    )


# Which (channel, scope) each consent flag stands for, for edits made flag by flag (admin).
FLAG_SCOPES = {flags[0]: key for key, flags in _FLAGS.items() if len(flags) == 1 and key != ("all", "birthday")}


def update_preferences(cliente_id: int, changes: dict[str, bool], *, source: str, actor: str = "", now=None) -> int:
    """Apply several consent flag changes (e.g. from the admin); one ledger entry per flag that changed."""
    current = Prefs.of(ClientPreferences.objects.filter(cliente_id=cliente_id).first())
    written = 0
    for flag, value in changes.items():
        if flag in FLAG_SCOPES and getattr(current, flag) != value:
            channel, scope = FLAG_SCOPES[flag]
            set_consent(cliente_id, granted=value, channel=channel, scope=scope, source=source, actor=actor, now=now)
            written += 1
    return written


def cancel_forbidden(cliente_id: int, prefs: Prefs, *, now) -> int:
    """Cancel this client's pending messages that consent no longer allows."""
    forbidden = [
        m.pk
        for m in Message.objects.filter(cliente_id=cliente_id, status__in=PENDING_STATUSES).only(
            "pk", "kind", "category", "channel"
        )
        if consent_reason(get_kind(m.kind), m.category, m.channel, prefs)
    ]
    if not forbidden:
        return 0
    return transition(Message.objects.filter(pk__in=forbidden), Status.CANCELLED, reason=Reason.OPTED_OUT, now=now)


def note_context(message_id: int, **values) -> int:
    """Add values to a pending message's context (e.g. the booking schedule it will now tell)."""
    updated = 0
    for message in Message.objects.filter(pk=message_id, status__in=PENDING_STATUSES):
        message.context = {**message.context, **values}
        updated += Message.objects.filter(pk=message.pk, status__in=PENDING_STATUSES).update(context=message.context)
    return updated


def cancel_messages(queryset, reason: str, *, detail: str = "", now=None) -> int:
    """Cancel pending messages (staff action, a client who responded, a cancelled booking)."""
    return transition(
        queryset.filter(status__in=PENDING_STATUSES), Status.CANCELLED, reason=reason, detail=detail, now=now
    )


def settle_interrupted(queryset=None, now=None) -> int:
    """Rows whose worker died after starting the provider call become ``unknown`` (never resent).

    The marker was committed just before the request and a definite non-send clears
    it, so a marked row with an expired lease may have gone out: sending it again
    could mean a second SMS. Staff settle it (admin), or the status poll reconciles
    it when a batch id was recorded.
    """
    now = now or timezone.now()
    queryset = Message.objects.all() if queryset is None else queryset
    crashed = queryset.filter(status=Status.SENDING, provider_call_started_at__isnull=False, lease_until__lte=now)
    moved = transition(
        crashed,
        Status.UNKNOWN,
        reason=Reason.INTERRUPTED,
        detail="interrumpido durante la llamada al proveedor",
        now=now,
    )
    if moved:
        log.warning("%d message(s) interrupted during the provider call: now unknown, not resent", moved)
    return moved


def expire_due(now=None) -> int:
    """Messages whose moment has passed (e.g. a reminder after the appointment) will never go."""
    now = now or timezone.now()
    # A crashed provider call may have sent the message: it is unknown, not expired.
    settle_interrupted(now=now)
    due = Message.objects.filter(expires_at__lte=now, status__in=(*PENDING_STATUSES, Status.SENDING))
    # A row being sent right now keeps its lease; only unleased ones expire.
    due = due.exclude(status=Status.SENDING, lease_until__gt=now)
    due = due.exclude(status=Status.SENDING, provider_call_started_at__isnull=False)
    return transition(due, Status.EXPIRED, reason=Reason.EXPIRED, now=now)
