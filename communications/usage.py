"""A client's live usage of each cap window, read from the message ledger (the truth)."""

from django.conf import settings
from django.utils import timezone

from . import calendar as cal
from .gate import load_usage
from .kinds import KINDS
from .models import Category


def usage_snapshot(cliente_id: int, *, now=None) -> dict:
    """Counts and limits for today (local), this month and this ISO week, plus the next marketing slot per channel."""
    from .api import explain

    now = now or timezone.now()
    today = cal.localdate(now)
    usage = load_usage([cliente_id], KINDS.values(), now)[cliente_id]
    day, month, week = cal.window("day", today), cal.window("month", today), cal.window("week", today)
    snapshot = {
        "sms_today": usage.count(*day, channel="sms"),
        "sms_daily_limit": settings.SMS_DAILY_LIMIT,
        "sms_month": usage.count(*month, channel="sms"),
        "sms_monthly_limit": settings.SMS_MONTHLY_LIMIT,
        "email_week": usage.count(*week, channel="email", category=Category.MARKETING),
        "email_weekly_limit": settings.EMAIL_WEEKLY_LIMIT,
    }
    for channel in ("sms", "email"):
        outcome = explain(cliente_id, "campaign", channel, now=now)
        snapshot[f"next_{channel}"] = outcome.decision.scheduled_for if outcome.decision.allowed else None
        snapshot[f"next_{channel}_reason"] = outcome.reason
    return snapshot
