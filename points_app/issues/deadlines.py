"""The clock, local days and working-day deadlines of the handling levels.

Every service reads the time through `now()` so tests can freeze it; deadlines count
China's working days (statutory holidays and make-up working days, see
`issues.calendar`) in the app's local time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from points_app.core.clock import local_date
from points_app.core.db import utcnow
from points_app.issues import calendar

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_DAYS = {"grid": 3, "community": 7, "street": 15}


def now() -> dt.datetime:
    """The current time (aware UTC); tests monkeypatch this to freeze the clock."""
    return utcnow()


def today(at: dt.datetime | None = None) -> dt.date:
    """Today's local date (at the given moment, or now)."""
    return local_date(at or now())


def is_working_day(day: dt.date) -> bool:
    """A working day in China: not a weekend or statutory holiday, or a make-up day."""
    return calendar.is_working_day(day)


def _test_for(start: dt.date, end: dt.date) -> Any:
    return calendar.working_day_test(start, end)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (weekends and holidays do not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    # Long holidays (Spring Festival, National Day) take up to about ten days at once.
    is_working = _test_for(start, start + dt.timedelta(days=days * 3 + 40))
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative if end is before)."""
    if end < start:
        return -working_days_between(end, start)
    is_working = _test_for(start, end)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working(day):
            count += 1
    return count


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month a day falls in."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)
