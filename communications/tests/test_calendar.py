"""Windows, quiet hours and DST, all in America/Santiago."""

import datetime

import pytest

from communications import calendar as cal
from communications.tests.helpers import SANTIAGO, local

D = datetime.date


@pytest.mark.parametrize(
    "period, day, first, last",
    [
        ("day", D(2026, 11, 30), D(2026, 11, 30), D(2026, 11, 30)),
        ("week", D(2026, 11, 29), D(2026, 11, 23), D(2026, 11, 29)),  # Sunday closes the ISO week
        ("week", D(2026, 11, 30), D(2026, 11, 30), D(2026, 12, 6)),  # Monday opens the next one
        ("week", D(2026, 12, 31), D(2026, 12, 28), D(2027, 1, 3)),  # a week across the new year
        ("month", D(2026, 2, 14), D(2026, 2, 1), D(2026, 2, 28)),
        ("month", D(2028, 2, 29), D(2028, 2, 1), D(2028, 2, 29)),
        ("month", D(2026, 12, 31), D(2026, 12, 1), D(2026, 12, 31)),
        ("quarter", D(2026, 3, 31), D(2026, 1, 1), D(2026, 3, 31)),
        ("quarter", D(2026, 4, 1), D(2026, 4, 1), D(2026, 6, 30)),
        ("quarter", D(2026, 11, 25), D(2026, 10, 1), D(2026, 12, 31)),
        ("year", D(2026, 7, 1), D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_windows_are_local_calendar_ranges(period, day, first, last):
    assert cal.window(period, day) == (first, last)


def test_a_send_at_23_30_local_counts_on_that_local_day_not_the_utc_one():
    moment = local(2026, 11, 30, 23, 30)  # 02:30 UTC on 1 December
    assert moment.astimezone(datetime.UTC).date() == D(2026, 12, 1)
    assert cal.localdate(moment) == D(2026, 11, 30)


def test_the_repeated_hour_when_dst_ends_stays_on_the_same_local_day():
    # 5 April 2026 00:00 (-03) falls back to 4 April 23:00 (-04): 23:30 happens twice.
    first = datetime.datetime(2026, 4, 5, 2, 30, tzinfo=datetime.UTC)
    second = datetime.datetime(2026, 4, 5, 3, 30, tzinfo=datetime.UTC)
    assert cal.localdate(first) == cal.localdate(second) == D(2026, 4, 4)
    assert first.astimezone(SANTIAGO).hour == second.astimezone(SANTIAGO).hour == 23


def test_the_skipped_hour_when_dst_starts_resolves_forward():
    # 6 September 2026 00:00 (-04) jumps to 01:00 (-03): 00:30 does not exist.
    moment = cal.at_local(D(2026, 9, 6), datetime.time(0, 30))
    assert (moment.hour, moment.minute) == (1, 30)
    assert moment.utcoffset() == datetime.timedelta(hours=-3)
    assert cal.localdate(moment) == D(2026, 9, 6)


def test_local_midnight_on_both_dst_days_is_the_start_of_that_day():
    for day in (D(2026, 4, 4), D(2026, 4, 5), D(2026, 9, 5), D(2026, 9, 6)):
        assert cal.localdate(cal.at_local(day, datetime.time.min)) == day


@pytest.mark.parametrize(
    "moment, is_open",
    [
        (local(2026, 11, 25, 8, 59), False),
        (local(2026, 11, 25, 9, 0), True),
        (local(2026, 11, 25, 19, 59), True),
        (local(2026, 11, 25, 20, 0), False),
        (local(2026, 11, 28, 12, 0), True),  # Saturday
        (local(2026, 11, 29, 12, 0), False),  # Sunday
        (local(2026, 9, 18, 12, 0), False),  # Fiestas Patrias (public holiday)
        (local(2026, 12, 25, 12, 0), False),  # Christmas
    ],
)
def test_quiet_hours_are_local_and_skip_sundays_and_holidays(moment, is_open):
    assert cal.in_open_hours(moment) is is_open


@pytest.mark.parametrize(
    "moment, expected",
    [
        (local(2026, 11, 25, 10, 15), local(2026, 11, 25, 10, 15)),  # already open
        (local(2026, 11, 25, 6, 0), local(2026, 11, 25, 9, 0)),  # early morning
        (local(2026, 11, 25, 21, 0), local(2026, 11, 26, 9, 0)),  # evening
        (local(2026, 11, 28, 20, 30), local(2026, 11, 30, 9, 0)),  # Saturday night -> Monday
        (local(2026, 9, 17, 21, 0), local(2026, 9, 21, 9, 0)),  # before 18-19 Sept and a Sunday
        (local(2026, 9, 5, 22, 0), local(2026, 9, 7, 9, 0)),  # across the DST start
        (local(2026, 4, 4, 23, 30), local(2026, 4, 6, 9, 0)),  # inside the repeated hour
    ],
)
def test_next_open_slot(moment, expected):
    assert cal.next_open_slot(moment) == expected


def test_quiet_hours_are_configurable(settings):
    settings.QUIET_HOURS_OPEN = datetime.time(10, 0)
    settings.QUIET_HOURS_OPEN_WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)
    settings.QUIET_HOURS_SKIP_HOLIDAYS = False
    assert cal.next_open_slot(local(2026, 9, 18, 9, 0)) == local(2026, 9, 18, 10, 0)
