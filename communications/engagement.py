"""Opens and clicks on email: recorded on the message and as CampaignInteractions.

An open alone is not a response (ARCHITECTURE.md §5): privacy proxies (Apple Mail
Privacy Protection fetches every image of every message) and corporate link
scanners open and click mail nobody read. So an open or click that comes within
EMAIL_MACHINE_OPEN_SECONDS of sending, or from a known machine user agent, is a
machine open: kept on the message (``machine_open``) but never engagement. A
human click is engagement (``Message.responded``).

Only the engagement fields are written here, each by a conditional UPDATE, so
repeated or concurrent hits record the first time once and never move a status.
"""

import logging

from django.conf import settings
from django.utils import timezone

from ventas.models import CampaignInteraction

from .actions import cancel_messages
from .models import Message, Reason

log = logging.getLogger(__name__)

# Apple Mail Privacy Protection's proxy announces itself with nothing more than this.
_BARE_USER_AGENT = "mozilla/5.0"


def is_machine(user_agent: str, sent_at, now) -> bool:
    ua = (user_agent or "").strip().lower()
    if not ua or ua == _BARE_USER_AGENT:
        return True
    if any(marker.lower() in ua for marker in settings.EMAIL_MACHINE_USER_AGENTS if marker):
        return True
    return bool(sent_at and (now - sent_at).total_seconds() < settings.EMAIL_MACHINE_OPEN_SECONDS)


def _interaction(message: Message, kind: str, now, **details) -> None:
    CampaignInteraction.objects.create(
        cliente_id=message.cliente_id,
        campaign_id=message.campaign_id,
        interaction_type=kind,
        timestamp=now,
        details={"message": message.pk, **details},
    )


def record_open(message: Message, *, user_agent: str = "", machine: bool | None = None, now=None) -> bool:
    """Record an open; True when it was the first open, or the first human one after machine opens."""
    now = now or timezone.now()
    if machine is None:
        machine = is_machine(user_agent, message.sent_at, now)
    one = Message.objects.filter(pk=message.pk)
    changed = one.filter(opened_at__isnull=True).update(opened_at=now, machine_open=machine)
    if not changed and not machine:
        # A person opened what until now only machines had: that is the open that counts.
        changed = one.filter(machine_open=True).update(opened_at=now, machine_open=False)
    if changed and not machine:
        _interaction(message, CampaignInteraction.Type.EMAIL_OPENED, now)
    return bool(changed)


def record_click(message: Message, target: str, *, user_agent: str = "", now=None) -> bool:
    """Record a click on ``target`` (already checked to be a link of the message); True if it counted."""
    now = now or timezone.now()
    if is_machine(user_agent, message.sent_at, now):
        # A scanner following links is at most a machine open.
        record_open(message, machine=True, now=now)
        return False
    record_open(message, machine=False, now=now)  # a click proves a person opened it
    first = Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    if first:
        _interaction(message, CampaignInteraction.Type.EMAIL_CLICKED, now, url=target[:500])
        if message.kind == "reactivation_email":
            # The SMS follow-up exists only for clients who did not respond to this email.
            cancel_messages(
                Message.objects.filter(cliente_id=message.cliente_id, kind="reactivation_sms"),
                Reason.RESPONDED,
                now=now,
            )
    return True
