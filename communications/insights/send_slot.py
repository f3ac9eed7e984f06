"""Send-time optimisation at request: move the requested slot to the client's best hour.

Pure functions plus one loader. Applied once, when the gate decides a request;
promotion keeps the slot. Caps and quiet hours then apply to the moved slot as
to any other, so they stay exact.
"""

import datetime
import hashlib
import hmac

from django.conf import settings

from .. import calendar as cal

KINDS = frozenset(
    {"vip_newsletter", "loyalty_rewards", "reactivation_email", "reactivation_sms", "welcome_7", "welcome_30"}
)


def applies(kind: str, opted_in: bool) -> bool:
    return settings.SEND_TIME_ENABLED and (kind in KINDS or opted_in)


def allowed_hours() -> list[int]:
    open_, close = settings.QUIET_HOURS_OPEN, settings.QUIET_HOURS_CLOSE
    return list(range(open_.hour + (1 if open_.minute else 0), close.hour))


def _fraction(key: str, salt: str) -> float:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{salt}:{key}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def chosen_hour(idempotency_key: str, best_hour: int | None) -> tuple[int | None, bool]:
    """(hour, exploring). A share of keys explores a random allowed hour, the same on every rerun."""
    hours = allowed_hours()
    if hours and _fraction(idempotency_key, "explore") < settings.SEND_TIME_EXPLORATION_SHARE:
        return hours[int(_fraction(idempotency_key, "hour") * len(hours))], True
    return best_hour, False


def shifted_slot(requested: datetime.datetime, hour: int, now: datetime.datetime) -> datetime.datetime | None:
    """The requested slot with its hour replaced: same local day if still ahead, else the next open day.

    None when that would be more than 24 h after the requested slot (the slot is kept).
    """
    day = cal.localdate(requested)
    candidate = cal.at_local(day, datetime.time(hour))
    if candidate <= now:
        day += datetime.timedelta(days=1)
        while not cal.is_open_day(day):
            day += datetime.timedelta(days=1)
        candidate = cal.at_local(day, datetime.time(hour))
    if candidate - requested > datetime.timedelta(hours=24):
        return None
    return candidate


def best_hours(client_ids) -> dict[int, int]:
    """Stored best hours (objectors have no row: their profile is never computed or kept)."""
    from .models import ClientInsight

    return dict(
        ClientInsight.objects.filter(cliente_id__in=client_ids, best_hour__isnull=False).values_list(
            "cliente_id", "best_hour"
        )
    )
