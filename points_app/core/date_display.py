"""Dates on pages: Chinese as Babel writes them; English in a long form nobody misreads
(1 Dec 2026, not 12/1/26, which a reader from elsewhere takes for 12 January)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

# Patterns for English only; other languages keep Babel's own for each width.
ENGLISH_DATETIME = {"short": "d MMM yyyy, HH:mm", "medium": "d MMMM yyyy, HH:mm"}
ENGLISH_DATE = {"short": "d MMM yyyy", "medium": "d MMMM yyyy", "long": "d MMMM yyyy"}


def _is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def show_datetime(value: dt.datetime | None, width: str | None = None, rebase: bool = True) -> str:
    """A moment in the page's language, in local time (the `datetimeformat` filter)."""
    if value is None:
        return ""
    pattern = ENGLISH_DATETIME.get(width or "medium") if _is_english() else None
    return str(format_datetime(value, pattern or width, rebase=rebase))


def show_date(
    value: dt.date | dt.datetime | None, width: str | None = None, rebase: bool = True
) -> str:
    """A day in the page's language (the `dateformat` filter)."""
    if value is None:
        return ""
    pattern = ENGLISH_DATE.get(width or "medium") if _is_english() else None
    return str(format_date(value, pattern or width, rebase=rebase))


def install_date_filters(app: Flask) -> None:
    """Replace Flask-Babel's `datetimeformat` and `dateformat` filters with these."""
    filters: dict[str, Any] = app.jinja_env.filters
    filters["datetimeformat"] = show_datetime
    filters["dateformat"] = show_date
