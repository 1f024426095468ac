"""Dates and date-times typed by people or clients, checked to a sane range.

Python's dates run from year 1 to 9999, so `0001-01-01T00:00:00+14:00` cannot be turned
into UTC and `9999-12-31` has no next day: arithmetic at the ends overflows. Every date
read from a query string, a form or a JSON body goes through `parse_day`/`parse_moment`
(or the `DateInRange` form validator), which refuse anything outside EARLIEST..LATEST
with 400 `invalid_date` and a sentence saying what is accepted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from points_app.core.clock import local_zone
from points_app.core.errors import DomainError

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)


def _refusal(field: str) -> DomainError:
    return DomainError(
        "invalid_date",
        _(
            "%(field)s must be a date like 2026-03-02 (or a date-time like "
            "2026-03-02T10:00:00+08:00) between %(earliest)s and %(latest)s.",
            field=field,
            earliest=EARLIEST.isoformat(),
            latest=LATEST.isoformat(),
        ),
        status=400,
        field=field,
    )


def is_sane_day(day: dt.date) -> bool:
    """True when the day lies in the range the app accepts."""
    return EARLIEST <= day <= LATEST


def parse_day(raw: str | None, field: str) -> dt.date | None:
    """A `YYYY-MM-DD` day, or None when empty; `invalid_date` when malformed or out of range."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise _refusal(field) from None
    if len(raw) != 10 or not is_sane_day(day):
        raise _refusal(field)
    return day


def parse_moment(raw: str | None, field: str, end_of_day: bool = False) -> dt.datetime | None:
    """A W3C date-time in UTC (a bare date means that local day's start, or end); None if empty.

    Without an offset the time is local. Malformed or out of range: `invalid_date`.
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    if len(raw) == 10:
        day = parse_day(raw, field)
        assert day is not None
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time())
    else:
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise _refusal(field) from None
        if not is_sane_day(moment.date()):
            raise _refusal(field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(dt.UTC)


class DateInRange:
    """WTForms validator: the field's date lies between EARLIEST and LATEST."""

    def __call__(self, form: Any, field: Any) -> None:
        day = field.data.date() if isinstance(field.data, dt.datetime) else field.data
        if day is not None and not is_sane_day(day):
            raise ValidationError(
                str(
                    _l(
                        "Pick a date between %(earliest)s and %(latest)s.",
                        earliest=EARLIEST.isoformat(),
                        latest=LATEST.isoformat(),
                    )
                )
            )
