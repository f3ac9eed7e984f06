"""The public façade for the rest of the monolith.

    from communications import api
    api.send(cliente, "birthday", key="birthday:42:2026")
    api.explain(cliente, "vip_newsletter", "email")     # writes nothing
    api.opt_out(cliente, channel="sms", source="admin", actor="recepcion")

Everything goes through the gate; nothing here writes a row by itself.
"""

import uuid

from . import actions, gate
from .gate import MessageRequest, Outcome
from .models import ConsentEvent


def _id(cliente) -> int:
    return getattr(cliente, "pk", cliente)


def send(
    cliente,
    kind: str,
    *,
    channel: str | None = None,
    key: str | None = None,
    at=None,
    now=None,
    dry_run: bool = False,
    **fields,
) -> Outcome:
    """Ask the gate for a message. ``key`` is the idempotency key (a new one per call if omitted)."""
    cliente_id = _id(cliente)
    request = MessageRequest(
        cliente_id=cliente_id,
        kind=kind,
        channel=channel,
        idempotency_key=key or f"{kind}:{cliente_id}:{uuid.uuid4().hex}",
        at=at,
        **fields,
    )
    return gate.request_message(request, now=now, dry_run=dry_run)


def explain(cliente, kind: str, channel: str | None = None, at=None, *, now=None, **fields) -> Outcome:
    """What the gate would decide right now (or at ``at``): decision, reason, next allowed time. Writes nothing."""
    return send(cliente, kind, channel=channel, at=at, now=now, dry_run=True, **fields)


def opt_out(
    cliente, *, channel="all", scope="all", source=ConsentEvent.Source.API, actor="", evidence=None, message_id=None
):
    """Withdraw consent; ``message_id`` names the message that caused it, when one did."""
    return _consent(cliente, False, channel, scope, source, actor, evidence, message_id)


def opt_in(
    cliente, *, channel="all", scope="all", source=ConsentEvent.Source.API, actor="", evidence=None, message_id=None
):
    return _consent(cliente, True, channel, scope, source, actor, evidence, message_id)


def _consent(cliente, granted, channel, scope, source, actor, evidence, message_id):
    return actions.set_consent(
        _id(cliente),
        granted=granted,
        channel=channel,
        scope=scope,
        source=source,
        actor=actor,
        evidence=evidence,
        message_id=message_id,
    )
