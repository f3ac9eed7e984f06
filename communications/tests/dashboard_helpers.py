"""Rollup rows written directly (the refresh is another part's): the dashboard, alerts and report read them."""

import datetime

from django.contrib.auth.models import Permission, User

from communications.models import DailyStat, LiftStat


def bucket(day, channel="sms", kind="campaign", segment="vip_high_spend", **counters) -> DailyStat:
    return DailyStat.objects.create(day=day, channel=channel, kind=kind, segment=segment, **counters)


def healthy_week(end: datetime.date, days: int = 7, per_day: int = 100) -> None:
    """A week of ordinary traffic on both channels, every figure inside its target."""
    for i in range(days):
        day = end - datetime.timedelta(days=i)
        bucket(
            day,
            "sms",
            "reactivation_sms",
            "regular_medium_spend",
            requested=per_day,
            handed=per_day,
            sent=per_day,
            delivered=per_day - 2,
            failed=2,
            conversions=12,
            revenue_clp=600_000,
            cost_clp=per_day * 12,
        )
        bucket(
            day,
            "email",
            "vip_newsletter",
            "vip_high_spend",
            requested=per_day,
            handed=per_day,
            sent=per_day,
            delivered=per_day - 1,
            bounces=1,
            opens=40,
            clicks=9,
            conversions=3,
            revenue_clp=150_000,
        )


def lift(segment="vip_high_spend", period="30d", start=None, end=None, **fields) -> LiftStat:
    end = end or datetime.date(2026, 11, 30)
    start = start or end - datetime.timedelta(days=29)
    values = {
        "treated_clients": 900,
        "treated_conversions": 90,
        "control_clients": 48,
        "control_conversions": 3,
        "difference": 0.0375,
        "difference_low": -0.03,
        "difference_high": 0.08,
        "incremental_revenue_clp": 1_250_000.0,
        "incremental_revenue_low": -200_000.0,
        "incremental_revenue_high": 2_700_000.0,
        "verdict": "datos insuficientes",
        **fields,
    }
    return LiftStat.objects.create(period=period, period_start=start, period_end=end, segment=segment, **values)


def staff_user(username="marketing", *, dashboard=True) -> User:
    user = User.objects.create_user(username, password="clave-segura-123", is_staff=True)
    # Staff read the message log by permission (no view-for-every-staff override any more).
    user.user_permissions.add(Permission.objects.get(codename="view_message"))
    if dashboard:
        user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    return user
