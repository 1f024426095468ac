"""China's working days: statutory holidays and make-up working days (调休).

The `chinesecalendar` package knows the State Council's schedule for the years it was
released with; the `calendar_days` table, which an administrator edits, comes first, so
a year the package does not know yet (or a local change) can be entered by hand. A year
neither knows counts Monday to Friday. They flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import chinese_calendar
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.issues.models import CalendarDay

NOTE_LENGTH = 100


def built_in_years() -> range:
    """The years the package's holiday schedule covers."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def built_in_working_day(day: dt.date) -> bool:
    """The package's answer, or Monday to Friday for a year it does not know."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def overrides_between(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """The administrator's days from `start` to `end` inclusive: True for a working day."""
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_working_day).where(
            CalendarDay.day >= start, CalendarDay.day <= end
        )
    )
    return {day: bool(working) for day, working in rows}


def working_day_test(start: dt.date, end: dt.date) -> Callable[[dt.date], bool]:
    """A fast `is_working_day` for days within `start`..`end` (one query for the range)."""
    overrides = overrides_between(start, end)

    def is_working(day: dt.date) -> bool:
        if day in overrides:
            return overrides[day]
        return built_in_working_day(day)

    return is_working


def is_working_day(day: dt.date) -> bool:
    """True if `day` is a working day in China (the administrator's table first)."""
    return working_day_test(day, day)(day)


def _refuse_unless_admin(actor: Any) -> None:
    if not can(actor, Permission.manage_areas):
        raise DomainError("forbidden", _l("Only an administrator may change the calendar."), 403)


def set_calendar_day(actor: Any, day: dt.date, *, is_working: bool, note: str = "") -> CalendarDay:
    """Mark a day as a working day or a holiday, over the built-in calendar."""
    _refuse_unless_admin(actor)
    clean = " ".join((note or "").split())[:NOTE_LENGTH]
    row = db.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day, is_working_day=is_working)
        db.session.add(row)
    row.is_working_day = is_working
    row.note = clean
    row.updated_by_id = getattr(actor, "id", None)
    row.updated_at = utcnow()
    db.session.flush()
    record(actor, "calendar.set", "calendar_day", None, day=day.isoformat(), working=is_working)
    return row


def clear_calendar_day(actor: Any, day: dt.date) -> None:
    """Drop the administrator's mark of a day: the built-in calendar decides again."""
    _refuse_unless_admin(actor)
    row = db.session.get(CalendarDay, day)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
        record(actor, "calendar.clear", "calendar_day", None, day=day.isoformat())


def calendar_days(year: int | None = None) -> list[CalendarDay]:
    """The administrator's days, of one year or all, in date order."""
    stmt = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        stmt = stmt.where(
            CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
        )
    return list(db.session.scalars(stmt))
