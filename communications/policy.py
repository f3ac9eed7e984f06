"""The pure decision: may this message go now, and if not, why and when?

No I/O: the gate hands in the client's facts, preferences and usage (read under
the client's lock) and writes whatever this module decides. Order of checks:
consent -> contactability -> segment -> caps -> quiet hours (ARCHITECTURE.md §5).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from . import calendar as cal
from .channels.sms.phones import sms_destination
from .kinds import DROP, NEVER, Kind
from .models import Category, Channel, Reason, Status

QUEUED, SCHEDULED, BLOCKED = Status.QUEUED.value, Status.SCHEDULED.value, Status.BLOCKED.value


@dataclass(frozen=True)
class Prefs:
    """ClientPreferences as plain values; a client without a row has the defaults (opt-out regime)."""

    accepts_sms: bool = True
    accepts_email: bool = True
    accepts_birthday_sms: bool = True
    accepts_promotional: bool = True
    accepts_marketing_sms: bool = True
    accepts_marketing_email: bool = True
    email_undeliverable: str = ""

    @classmethod
    def of(cls, row) -> "Prefs":
        if row is None:
            return cls()
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ClientFacts:
    cliente_id: int
    telefono: str | None
    email: str
    prefs: Prefs = Prefs()
    segment: str | None = None
    # Channels whose address is on the suppression list (an erased client's phone or email).
    suppressed: frozenset[str] = frozenset()


@dataclass
class Usage:
    """Messages of one client that hold a cap slot: (message id, local day, channel, kind, category)."""

    entries: list[tuple[int | None, datetime.date, str, str, str]] = field(default_factory=list)

    def count(self, first, last, *, channel=None, kind=None, category=None, exclude_id=None) -> int:
        return sum(
            1
            for mid, day, ch, kd, cat in self.entries
            if first <= day <= last
            and (channel is None or ch == channel)
            and (kind is None or kd == kind)
            and (category is None or cat == category)
            and (exclude_id is None or mid != exclude_id)
        )

    def add(self, message_id, day, channel, kind, category):
        self.entries.append((message_id, day, channel, kind, category))


@dataclass(frozen=True)
class Decision:
    status: str  # queued | scheduled | blocked
    channel: str
    reason: str = ""
    scheduled_for: datetime.datetime | None = None
    counts_on: datetime.date | None = None
    destination: str = ""
    detail: str = ""

    @property
    def allowed(self) -> bool:
        return self.status != BLOCKED


def consent_reason(kind: Kind, category: str, channel: str, prefs: Prefs) -> str:
    """Opt-outs. Transactional messages respect only the channel opt-out."""
    if channel == Channel.SMS and not prefs.accepts_sms:
        return Reason.OPTED_OUT
    if channel == Channel.EMAIL and not prefs.accepts_email:
        return Reason.OPTED_OUT
    if category == Category.MARKETING:
        channel_marketing = prefs.accepts_marketing_sms if channel == Channel.SMS else prefs.accepts_marketing_email
        if not (prefs.accepts_promotional and channel_marketing):
            return Reason.OPTED_OUT
        if kind.consent_flag and not getattr(prefs, kind.consent_flag):
            return Reason.OPTED_OUT
    return ""


def contact(channel: str, facts: ClientFacts) -> tuple[str, str]:
    """(destination, "") when the client can be reached on the channel, else ("", reason)."""
    if channel == Channel.SMS:
        if not (facts.telefono or "").strip():
            return "", Reason.NO_PHONE
        destination = sms_destination(facts.telefono)
        return (destination, "") if destination else ("", Reason.INVALID_PHONE)
    email = (facts.email or "").strip()
    if not email:
        return "", Reason.NO_EMAIL
    try:
        validate_email(email)
    except ValidationError:
        return "", Reason.INVALID_EMAIL
    if facts.prefs.email_undeliverable and facts.prefs.email_undeliverable.lower() == email.lower():
        return "", Reason.EMAIL_UNDELIVERABLE
    return email, ""


def choose_channel(kind: Kind, category: str, facts: ClientFacts, channel: str | None):
    """First channel (preferred order) that consent and contact details allow.

    Returns (channel, destination, "") or (first channel tried, "", its reason).
    """
    first_failure = None
    for ch in (channel,) if channel else kind.channels:
        reason = consent_reason(kind, category, ch, facts.prefs)
        if not reason and category == Category.MARKETING and ch in facts.suppressed:
            reason = Reason.SUPPRESSED
        destination = ""
        if not reason:
            destination, reason = contact(ch, facts)
        if not reason:
            return ch, destination, ""
        first_failure = first_failure or (ch, "", reason)
    return first_failure


def cap_reason(kind: Kind, channel: str, day: datetime.date, usage: Usage, exclude_id=None) -> tuple[str, str]:
    """(reason, period) of the first cap that ``day`` has no room in, or ("", "")."""
    if channel == Channel.SMS:
        first, last = cal.window("day", day)
        if usage.count(first, last, channel=channel, exclude_id=exclude_id) >= settings.SMS_DAILY_LIMIT:
            return Reason.CAP_SMS_DAILY, "day"
        first, last = cal.window("month", day)
        if usage.count(first, last, channel=channel, exclude_id=exclude_id) >= settings.SMS_MONTHLY_LIMIT:
            return Reason.CAP_SMS_MONTHLY, "month"
    else:
        first, last = cal.window("week", day)
        used = usage.count(first, last, channel=channel, category=Category.MARKETING, exclude_id=exclude_id)
        if used >= settings.EMAIL_WEEKLY_LIMIT:
            return Reason.CAP_EMAIL_WEEKLY, "week"
    if kind.cap:
        first, last = cal.window(kind.cap.period, day)
        if usage.count(first, last, kind=kind.name, exclude_id=exclude_id) >= kind.cap.count:
            return Reason.CAP_KIND, kind.cap.period
    return "", ""


def decide(
    kind: Kind,
    facts: ClientFacts,
    usage: Usage,
    *,
    now: datetime.datetime,
    at: datetime.datetime | None = None,
    channel: str | None = None,
    category: str | None = None,
    segments: tuple[str, ...] | None = None,
    when_capped: str | None = None,
    exclude_id: int | None = None,
) -> Decision:
    category = kind.category_for(category)
    chosen, destination, reason = choose_channel(kind, category, facts, channel)
    if reason:
        return Decision(BLOCKED, chosen, reason)
    if segments is not None and facts.segment not in segments:
        return Decision(BLOCKED, chosen, Reason.SEGMENT, detail=str(facts.segment or ""))

    due = max(at or now, now)
    if category == Category.TRANSACTIONAL or when_capped == NEVER:
        # Never capped, never held by quiet hours; still counted in the SMS day/month.
        return _slot(chosen, destination, due, now, "")

    policy = when_capped or kind.when_capped
    slot, deferral = due, ""
    horizon = cal.localdate(now) + datetime.timedelta(days=settings.DEFERRAL_HORIZON_DAYS)
    while True:
        if not cal.in_open_hours(slot):
            slot = cal.next_open_slot(slot)
            deferral = deferral or Reason.QUIET_HOURS
        day = cal.localdate(slot)
        if day > horizon:
            return Decision(BLOCKED, chosen, deferral or Reason.CAP_KIND, detail="beyond deferral horizon")
        reason, period = cap_reason(kind, chosen, day, usage, exclude_id)
        if not reason:
            return _slot(chosen, destination, slot, now, deferral)
        lifetime = reason == Reason.CAP_KIND and period == "lifetime"
        if policy == DROP or lifetime:
            return Decision(BLOCKED, chosen, reason)
        # Jump to the start of the next window of the cap that bit, then to its first open slot.
        next_day = cal.window(period, day)[1] + datetime.timedelta(days=1)
        slot = cal.next_open_slot(cal.at_local(next_day, datetime.time.min))
        deferral = deferral if deferral and deferral != Reason.QUIET_HOURS else reason


def _slot(channel, destination, slot, now, deferral) -> Decision:
    status = QUEUED if slot <= now else SCHEDULED
    return Decision(
        status, channel, deferral, scheduled_for=slot, counts_on=cal.localdate(slot), destination=destination
    )
