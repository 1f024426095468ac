"""Report periods: local calendar days (Asia/Shanghai), both ends inclusive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from points_app.core.clock import local_today, local_zone
from points_app.core.errors import DomainError

MAX_YEARS = 10
PRESETS = ("month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Period:
    """From one local day to another, both inclusive."""

    start: dt.date
    end: dt.date

    @property
    def utc_start(self) -> dt.datetime:
        """The first moment of the period, in UTC."""
        return local_midnight(self.start)

    @property
    def utc_end(self) -> dt.datetime:
        """The first moment after the period (exclusive), in UTC."""
        return local_midnight(self.end + dt.timedelta(days=1))

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    def months(self) -> list[dt.date]:
        """The first day of each calendar month the period touches."""
        first = self.start.replace(day=1)
        result = []
        while first <= self.end:
            result.append(first)
            first = (first + dt.timedelta(days=32)).replace(day=1)
        return result

    def month_boundaries(self) -> list[dt.datetime]:
        """UTC moments where the second, third, … month of the period begins."""
        return [local_midnight(m) for m in self.months()[1:]]

    def as_args(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of a local day, as aware UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()).astimezone(dt.UTC)


def preset(name: str, today: dt.date | None = None) -> Period:
    """This month, this quarter or this year, up to and including today's end."""
    today = today or local_today()
    if name == "year":
        return Period(today.replace(month=1, day=1), today.replace(month=12, day=31))
    if name == "quarter":
        first_month = (today.month - 1) // 3 * 3 + 1
        start = today.replace(month=first_month, day=1)
    else:
        start = today.replace(day=1)
    months = 3 if name == "quarter" else 1
    end = start
    for _ in range(months):
        end = (end + dt.timedelta(days=32)).replace(day=1)
    return Period(start, end - dt.timedelta(days=1))


def parse_day(value: str) -> dt.date:
    """A YYYY-MM-DD date, or a DomainError that says what is wrong."""
    try:
        return dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise DomainError(
            "bad_date", _l("%(value)s is not a date (YYYY-MM-DD).", value=str(value)[:20]), 422
        ) from None


def make_period(
    start: str | dt.date | None, end: str | dt.date | None, today: dt.date | None = None
) -> Period:
    """The period between two days; either end left out means this year's start or today.

    Refuses a reversed range and one longer than ten years.
    """
    today = today or local_today()
    first = parse_day(start) if isinstance(start, str) else start
    last = parse_day(end) if isinstance(end, str) else end
    if first is None and last is None:
        return preset("month", today)
    if last is None:
        last = max(today, first) if first is not None else today
    if first is None:
        first = last.replace(month=1, day=1)
    if last < first:
        raise DomainError("reversed_range", _l("The end date is before the start date."), 422)
    try:
        limit = first.replace(year=first.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = first.replace(year=first.year + MAX_YEARS, day=28)
    if last >= limit:
        raise DomainError(
            "range_too_long", _l("Choose a period of at most %(n)s years.", n=MAX_YEARS), 422
        )
    return Period(first, last)
