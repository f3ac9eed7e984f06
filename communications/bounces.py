"""Bounces and spam complaints: what the receiving side says about an address.

- hard bounce (the address does not exist): ClientPreferences.email_undeliverable
  takes the bounced address, so the policy blocks email with
  ``email_undeliverable`` until the client's address changes; the message fails
  and the client's pending email is blocked. Sending on to dead addresses is
  what gets a sender's domain throttled by Gmail and Yahoo.
- soft bounce (mailbox full, greylisting): recorded only; the next send tries again.
- complaint (the client pressed "spam"): marketing-email consent is withdrawn at
  once through api.opt_out (source COMPLAINT), which writes the ConsentEvent and
  cancels queued marketing email. Bulk sender rules tolerate very few complaints.

Each event is stored once as a DeliveryEvent: a provider retrying its webhook,
or a DSN arriving after the SMTP refusal already recorded, changes nothing.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ventas.models import Cliente

from . import api
from .actions import locked_for_consent, transition
from .gate import locked_clients
from .models import PENDING_STATUSES, Channel, ClientPreferences, ConsentEvent, DeliveryEvent, Message, Reason, Status

log = logging.getLogger(__name__)

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
KINDS = (HARD, SOFT, COMPLAINT)
_EVENT_TYPE = {HARD: "bounce", SOFT: "bounce", COMPLAINT: "complaint"}


@dataclass(frozen=True)
class BounceResult:
    recorded: bool  # False when it was a duplicate or matched no client
    message: Message | None = None
    cliente_ids: tuple[int, ...] = ()


def find_message(reference: str) -> Message | None:
    """A message by our public id (X-Aremko-Message) or by its Message-ID header."""
    reference = (reference or "").strip()
    if not reference:
        return None
    try:
        return Message.objects.filter(public_id=uuid.UUID(reference)).first()
    except ValueError:
        pass
    if "@" in reference:
        message_id = reference if reference.startswith("<") else f"<{reference}>"
        return Message.objects.filter(channel=Channel.EMAIL, provider_message_id=message_id).first()
    return None


def _address_key(address: str) -> str:
    # Dedupe keys are visible to staff; they never hold an address in clear.
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]


def record_bounce(
    message_or_address, kind: str, raw=None, *, event_id: str = "", provider: str = "email", now=None
) -> BounceResult:
    """Record a bounce or complaint for a Message (or a bare address) once, and act on it."""
    if kind not in KINDS:
        raise ValueError(f"unknown bounce kind: {kind!r}")
    now = now or timezone.now()
    if isinstance(message_or_address, Message):
        message, address = message_or_address, message_or_address.destination
        cliente_ids = (message.cliente_id,)
        # One per message and kind, whoever reports it: the SMTP refusal and the
        # provider's later DSN for the same message are the same bounce.
        dedupe_key = f"email:{kind}:{message.public_id.hex}"
    else:
        message, address = None, str(message_or_address or "").strip()
        matching = Cliente.objects.filter(email__iexact=address) if address else Cliente.objects.none()
        cliente_ids = tuple(matching.values_list("pk", flat=True))
        subject = f"{provider}:{event_id}" if event_id else f"addr:{_address_key(address)}"
        dedupe_key = f"email:{kind}:{subject}"[:200]
    if not cliente_ids:
        return BounceResult(False)

    with transaction.atomic():
        try:
            with transaction.atomic():
                DeliveryEvent.objects.create(
                    message=message,
                    provider=provider[:20],
                    event_type=_EVENT_TYPE[kind],
                    normalized=kind,
                    raw_status=str((raw or {}).get("smtp", "") if isinstance(raw, dict) else "")[:60],
                    dedupe_key=dedupe_key,
                    payload=raw if isinstance(raw, dict) else {"raw": str(raw or "")[:2000]},
                    received_at=now,
                )
        except IntegrityError:
            return BounceResult(False, message, cliente_ids)
        for cliente_id in cliente_ids:
            if kind == HARD:
                mark_undeliverable(cliente_id, address, message, now=now)
            elif kind == COMPLAINT:
                withdraw_marketing_email(cliente_id, message, now=now)
    log.info("email %s recorded for %d client(s)", kind, len(cliente_ids))
    return BounceResult(True, message, cliente_ids)


def mark_undeliverable(cliente_id: int, address: str, message: Message | None, *, now) -> None:
    with locked_clients([cliente_id]):
        prefs, _ = ClientPreferences.objects.get_or_create(cliente_id=cliente_id)
        prefs.email_undeliverable = address[:254]
        prefs.save(update_fields=["email_undeliverable", "updated_at"])
        if message is not None:
            transition(Message.objects.filter(pk=message.pk), Status.FAILED, reason=Reason.EMAIL_UNDELIVERABLE, now=now)
        current = (Cliente.objects.filter(pk=cliente_id).values_list("email", flat=True).first() or "").strip()
        if current.lower() == address.strip().lower():
            # The same dead address would bounce again; a new address gets its chance.
            pending = Message.objects.filter(cliente_id=cliente_id, channel=Channel.EMAIL, status__in=PENDING_STATUSES)
            transition(pending, Status.BLOCKED, reason=Reason.EMAIL_UNDELIVERABLE, now=now)


def withdraw_marketing_email(cliente_id: int, message: Message | None, *, now) -> None:
    with locked_for_consent(cliente_id):  # the opt-out reaches records sharing the address
        prefs = ClientPreferences.objects.filter(cliente_id=cliente_id).first()
        if prefs is not None and not prefs.accepts_marketing_email:
            return  # already withdrawn: the ledger needs no second entry
        api.opt_out(
            cliente_id,
            channel=Channel.EMAIL,
            scope=ConsentEvent.Scope.MARKETING,
            source=ConsentEvent.Source.COMPLAINT,
            evidence={"message": str(message.public_id)} if message else {},
            message_id=message.pk if message else None,
        )
