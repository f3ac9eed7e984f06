"""Addresses that must get no marketing, whichever client record they belong to.

One lookup (``suppressed``) answers "which of these addresses opted out?" for the
gate, the send-time re-check and the consent actions. The trust work adds a hashed
suppression list (erased clients) behind this same function, so callers never
need to know where a suppression came from.
"""

from django.db.models import Q

from ventas.models import Cliente
from ventas.phones import normalize_phone

from .models import AddressOptOut, Channel

SMS, EMAIL = Channel.SMS.value, Channel.EMAIL.value


def normalise(channel: str, raw: str | None) -> str:
    """The address as suppression keys it: email lowercased, phone E.164; "" when unusable."""
    if not raw or not str(raw).strip():
        return ""
    if channel == EMAIL:
        return str(raw).strip().lower()
    return normalize_phone(raw) or ""


def addresses_of(telefono: str | None, email: str | None) -> dict[str, str]:
    """{channel: normalised address} of one client's contact details (channels without one left out)."""
    found = {SMS: normalise(SMS, telefono), EMAIL: normalise(EMAIL, email)}
    return {channel: address for channel, address in found.items() if address}


def suppressed(pairs) -> set[tuple[str, str]]:
    """The (channel, normalised address) pairs among ``pairs`` that must get no marketing. One query."""
    pairs = {(c, a) for c, a in pairs if a}
    if not pairs:
        return set()
    condition = Q()
    for channel in {c for c, _a in pairs}:
        condition |= Q(channel=channel, address__in=[a for c, a in pairs if c == channel])
    return set(AddressOptOut.objects.filter(condition).values_list("channel", "address")) & pairs


def suppressed_channels(telefono: str | None, email: str | None) -> frozenset[str]:
    """Channels on which this client's address opted out of marketing."""
    own = addresses_of(telefono, email)
    return frozenset(channel for channel, _a in suppressed(own.items()))


def erased_channels(contacts: dict[int, tuple[str | None, str]]) -> dict[int, frozenset[str]]:
    """{cliente_id: channels} whose address belonged to an erased client (hashed list, reason ``suppressed``)."""
    from .privacy.suppression import erased_channels as lookup

    return lookup(contacts)


def clients_sharing(channel: str, address: str) -> list[int]:
    """Ids of every client record whose address on ``channel`` normalises to ``address``."""
    if not address:
        return []
    if channel == EMAIL:
        return list(Cliente.objects.filter(email__iexact=address).order_by("pk").values_list("pk", flat=True))
    # Phones are stored E.164 when they parse (Cliente.save), so an exact match finds them.
    return list(Cliente.objects.filter(telefono=address).order_by("pk").values_list("pk", flat=True))
