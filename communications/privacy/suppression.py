"""The suppression list: keyed hashes of erased addresses, and the gate's lookup.

HMAC-SHA256(SUPPRESSION_KEY, E.164 phone | lower-case email): the list proves an
address must not get marketing without keeping the address. The gate asks for a
whole chunk of clients in one query.
"""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings

from ventas.phones import normalize_phone

from .models import SuppressionEntry


def normalized(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == "sms":
        return normalize_phone(address) or ""
    return address.lower()


def digest(channel: str, address: str) -> str:
    value = normalized(channel, address)
    if not value:
        return ""
    mac = _keyed(settings.SUPPRESSION_KEY).copy()
    mac.update(f"{channel}:{value}".encode())
    return mac.hexdigest()


@lru_cache(maxsize=4)
def _keyed(key: str):
    """The HMAC with its key already absorbed: copying it costs less than keying a new one,
    and the gate takes two digests per client."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def suppress(channel: str, address: str, *, reason: str = "erasure") -> bool:
    """Add an address; True when it was not on the list (or had been lifted) before."""
    value = digest(channel, address)
    if not value:
        return False
    entry, created = SuppressionEntry.objects.get_or_create(
        digest=value, defaults={"channel": channel, "reason": reason}
    )
    if not created and entry.lifted_at is not None:
        SuppressionEntry.objects.filter(pk=entry.pk).update(lifted_at=None, lifted_evidence={})
        return True
    return created


def lift(channel: str, address: str, *, evidence: dict, now=None) -> int:
    """A new opt-in with evidence lifts the suppression of that address."""
    from django.utils import timezone

    return SuppressionEntry.objects.filter(digest=digest(channel, address), lifted_at__isnull=True).update(
        lifted_at=now or timezone.now(), lifted_evidence=evidence
    )


def erased_channels(contacts: dict[int, tuple[str | None, str]]) -> dict[int, frozenset[str]]:
    """{cliente_id: channels suppressed} for {cliente_id: (telefono, email)}, in one query."""
    wanted: dict[str, list[tuple[int, str]]] = {}
    for cliente_id, (telefono, email) in contacts.items():
        for channel, address in (("sms", telefono), ("email", email)):
            value = digest(channel, address or "")
            if value:
                wanted.setdefault(value, []).append((cliente_id, channel))
    if not wanted:
        return {}
    found = SuppressionEntry.objects.filter(digest__any=list(wanted), lifted_at__isnull=True).values_list(
        "digest", flat=True
    )
    result: dict[int, set[str]] = {}
    for value in found:
        for cliente_id, channel in wanted[value]:
            result.setdefault(cliente_id, set()).add(channel)
    return {cliente_id: frozenset(channels) for cliente_id, channels in result.items()}
