"""The pure decision: may this message go now, and if not, why and when?

No I/O: the gate hands in the client's facts, preferences and usage (read under
the client's lock) and writes whatever this module decides. Order of checks:
consent -> contactability -> segment -> holdout -> caps -> quiet hours
(ARCHITECTURE.md §5, §11).
"""

import datetime
import enum
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from . import calendar as cal
from .channels.sms.phones import sms_destination
from .kinds import DROP, NEVER, Kind
from .models import Category, Channel, Reason, Status
from .stats.holdout import in_campaign_holdout, in_global_holdout

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
    preferred_channel: str = ""

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
    # Channels whose address (shared with other client records, maybe) opted out of marketing.
    suppressed: frozenset[str] = frozenset()
    # Channels whose address belonged to an erased client (hashed suppression list, Ley 21.719).
    erased: frozenset[str] = frozenset()


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

    def last_day(self, first, last, *, kind, exclude_id=None) -> datetime.date:
        return max(
            day
            for mid, day, _ch, kd, _cat in self.entries
            if first <= day <= last and kd == kind and (exclude_id is None or mid != exclude_id)
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

    def __post_init__(self):
        # Plain values, never enum members: they reach counters that are logged and stored as
        # JSON (a trigger's run, a sweep's counts), where a member reads "Reason.QUIET_HOURS".
        for name in ("status", "channel", "reason"):
            object.__setattr__(self, name, plain(getattr(self, name)))

    @property
    def allowed(self) -> bool:
        return self.status != BLOCKED


def plain(code) -> str:
    """A status, reason, kind or channel as its plain value ("quiet_hours", not Reason.QUIET_HOURS)."""
    return code.value if isinstance(code, enum.Enum) else code


def consent_reason(kind: Kind, category: str, channel: str, prefs: Prefs, suppressed: frozenset = frozenset()) -> str:
    """Opt-outs. Transactional messages respect only the channel opt-out.

    ``suppressed``: channels whose address opted out of marketing for every client record sharing it.
    """
    if channel == Channel.SMS and not prefs.accepts_sms:
        return Reason.OPTED_OUT
    if channel == Channel.EMAIL and not prefs.accepts_email:
        return Reason.OPTED_OUT
    if category == Category.MARKETING:
        if channel in suppressed:
            return Reason.OPTED_OUT
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
    for ch in (channel,) if channel else channel_order(kind, facts.prefs):
        reason = consent_reason(kind, category, ch, facts.prefs, facts.suppressed)
        if not reason and category == Category.MARKETING and ch in facts.erased:
            reason = Reason.SUPPRESSED
        destination = ""
        if not reason:
            destination, reason = contact(ch, facts)
        if not reason:
            return ch, destination, ""
        first_failure = first_failure or (ch, "", reason)
    return first_failure


def channel_order(kind: Kind, prefs: Prefs) -> tuple[str, ...]:
    """The kind's channels, the client's preferred one first where the kind allows several."""
    preferred = prefs.preferred_channel
    if preferred in kind.channels:
        return (preferred, *(c for c in kind.channels if c != preferred))
    return kind.channels


def holdout_reason(kind: Kind, category: str, cliente_id: int, campaign_holdout=None) -> str:
    """``holdout`` / ``campaign_holdout`` when this marketing message must not go (the control arm).

    Placed after consent, contact and segment (so both arms are the clients who could
    have received it) and before caps and quiet hours (so exposure is dated by the
    request). Campaign kinds keep the holdout even when staff mark them transactional,
    or a "transactional" campaign would leak marketing into the control group; only a
    manual message marked transactional (a one-off note to one client) ignores it.
    ``campaign_holdout`` is (campaign id, its own share in percent) or None.
    """
    if kind.category != Category.MARKETING:
        return ""
    if kind.name == "manual" and category == Category.TRANSACTIONAL:
        return ""
    if in_global_holdout(cliente_id, settings.HOLDOUT_PERCENT, settings.HOLDOUT_KEY):
        return Reason.HOLDOUT
    if campaign_holdout:
        campaign_id, percent = campaign_holdout
        if in_campaign_holdout(campaign_id, cliente_id, percent or 0, settings.HOLDOUT_KEY):
            return Reason.CAMPAIGN_HOLDOUT
    return ""


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
        first, last = kind.cap.window(day)
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
    campaign_holdout: tuple[int, float] | None = None,
    expires_at: datetime.datetime | None = None,
) -> Decision:
    category = kind.category_for(category)
    chosen, destination, reason = choose_channel(kind, category, facts, channel)
    if reason:
        return Decision(BLOCKED, chosen, reason)
    if segments is not None and facts.segment not in segments:
        return Decision(BLOCKED, chosen, Reason.SEGMENT, detail=str(facts.segment or ""))
    holdout = holdout_reason(kind, category, facts.cliente_id, campaign_holdout)
    if holdout:
        return Decision(BLOCKED, chosen, holdout)

    due = max(at or now, now)
    if category == Category.TRANSACTIONAL or when_capped == NEVER:
        # Never capped, never held by quiet hours; still counted in the SMS day/month.
        if expires_at and due >= expires_at:
            return _expired(chosen, due, expires_at)
        return _slot(chosen, destination, due, now, "")

    policy = when_capped or kind.when_capped
    slot, deferral = due, ""
    horizon = cal.localdate(now) + datetime.timedelta(days=settings.DEFERRAL_HORIZON_DAYS)
    while True:
        if not in_open_hours(kind, slot):
            slot = next_open_slot(kind, slot)
            deferral = deferral or Reason.QUIET_HOURS
        if expires_at and slot >= expires_at:
            # It could never go: saying "scheduled" would promise a message the outbox will expire.
            return _expired(chosen, slot, expires_at)
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
        if period == "rolling":
            first, last = kind.cap.window(day)
            latest = usage.last_day(first, last, kind=kind.name, exclude_id=exclude_id)
            next_day = latest + datetime.timedelta(days=kind.cap.days)
        else:
            next_day = cal.window(period, day)[1] + datetime.timedelta(days=1)
        slot = next_open_slot(kind, cal.at_local(next_day, datetime.time.min))
        deferral = deferral if deferral and deferral != Reason.QUIET_HOURS else reason


def in_open_hours(kind: Kind, moment: datetime.datetime) -> bool:
    """Marketing hours, plus the kind's own daytime window on closed days (birthdays)."""
    return cal.in_open_hours(moment) or (kind.closed_day_window and cal.in_closed_day_window(moment))


def next_open_slot(kind: Kind, moment: datetime.datetime) -> datetime.datetime:
    slot = cal.next_open_slot(moment)
    if kind.closed_day_window:
        window_slot = cal.next_closed_day_window_slot(moment, before=slot)
        if window_slot is not None:
            return window_slot
    return slot


def _expired(channel, slot, expires_at) -> Decision:
    detail = _("El próximo momento permitido (%(slot)s) es posterior a su vencimiento (%(expires)s).") % {
        "slot": _local_text(slot),
        "expires": _local_text(expires_at),
    }
    return Decision(BLOCKED, channel, Reason.EXPIRED, detail=detail)


def _local_text(moment: datetime.datetime) -> str:
    return timezone.localtime(moment, cal.local_tz()).strftime("%d-%m-%Y %H:%M")


def _slot(channel, destination, slot, now, deferral) -> Decision:
    status = QUEUED if slot <= now else SCHEDULED
    return Decision(
        status, channel, deferral, scheduled_for=slot, counts_on=cal.localdate(slot), destination=destination
    )
