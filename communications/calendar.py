"""Local calendar of Santiago: windows, quiet hours and holidays.

Rows store UTC; every day, ISO week, month, quarter and year here is a local
(America/Santiago) date, so a send at 23:30 local counts on that local day
whatever UTC says, and DST changes (at local midnight in Chile) move nothing.
"""

import datetime
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone


def local_tz():
    return timezone.get_default_timezone()


def localdate(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, local_tz()).date()


def at_local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """An aware datetime for a local wall-clock time. A time that DST skips resolves forward."""
    naive = datetime.datetime.combine(day, time)
    aware = naive.replace(tzinfo=local_tz())
    # zoneinfo keeps nonexistent wall times as-is; a round trip through UTC normalises them.
    return aware.astimezone(datetime.UTC).astimezone(local_tz())


def window(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Inclusive [first, last] local dates of the window containing ``day``."""
    if period == "day":
        return day, day
    if period == "week":  # ISO week, Monday to Sunday
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=6)
    if period == "month":
        start = day.replace(day=1)
        return start, _add_months(start, 1) - datetime.timedelta(days=1)
    if period == "quarter":
        start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        return start, _add_months(start, 3) - datetime.timedelta(days=1)
    if period == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    if period == "lifetime":
        return datetime.date.min, datetime.date.max
    raise ValueError(f"unknown period {period!r}")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1)


@lru_cache(maxsize=32)
def _holidays(year: int):
    return holidays.country_holidays("CL", years=year)


def is_holiday(day: datetime.date) -> bool:
    return settings.QUIET_HOURS_SKIP_HOLIDAYS and day in _holidays(day.year)


def is_open_day(day: datetime.date) -> bool:
    return day.weekday() in settings.QUIET_HOURS_OPEN_WEEKDAYS and not is_holiday(day)


def open_hours() -> tuple[datetime.time, datetime.time]:
    return settings.QUIET_HOURS_OPEN, settings.QUIET_HOURS_CLOSE


def in_open_hours(moment: datetime.datetime) -> bool:
    local = timezone.localtime(moment, local_tz())
    start, end = open_hours()
    return is_open_day(local.date()) and start <= local.time() < end


def next_open_slot(moment: datetime.datetime, *, earliest_day: datetime.date | None = None) -> datetime.datetime:
    """The first moment >= ``moment`` (and on or after ``earliest_day``) when marketing may go out."""
    start, end = open_hours()
    local = timezone.localtime(moment, local_tz())
    day = local.date()
    if earliest_day and earliest_day > day:
        day, local = earliest_day, at_local(earliest_day, datetime.time.min)
    for _ in range(400):
        if is_open_day(day):
            if local.date() == day and local.time() >= start:
                if local.time() < end:
                    return local
            else:
                return at_local(day, start)
        day += datetime.timedelta(days=1)
        local = at_local(day, datetime.time.min)
    raise ValueError("no open slot within 400 days: check QUIET_HOURS settings")


def closed_day_window() -> tuple[datetime.time, datetime.time]:
    """The short daytime window some kinds (birthdays) may use on Sundays and holidays."""
    return settings.BIRTHDAY_WINDOW_START, settings.BIRTHDAY_WINDOW_END


def in_closed_day_window(moment: datetime.datetime) -> bool:
    local = timezone.localtime(moment, local_tz())
    start, end = closed_day_window()
    return not is_open_day(local.date()) and start <= local.time() < end


def next_closed_day_window_slot(moment: datetime.datetime, *, before: datetime.datetime):
    """The first moment >= ``moment`` and < ``before`` inside a closed day's window, or None."""
    start, end = closed_day_window()
    local = timezone.localtime(moment, local_tz())
    day = local.date()
    while at_local(day, datetime.time.min) < before:
        if not is_open_day(day):
            candidate = local if local.date() == day and local.time() >= start else at_local(day, start)
            if timezone.localtime(candidate, local_tz()).time() < end and candidate < before:
                return candidate
        day += datetime.timedelta(days=1)
    return None
