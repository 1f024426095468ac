"""Local time: the community's calendar (Asia/Shanghai by default), not UTC's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from points_app.core.db import utcnow

DEFAULT_TIMEZONE = "Asia/Shanghai"


def local_zone() -> ZoneInfo:
    """The time zone days, deadlines and opening hours are counted in."""
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE
    return ZoneInfo(name)


def local_date(moment: dt.datetime) -> dt.date:
    """The local calendar day a moment falls on."""
    return moment.astimezone(local_zone()).date()


def local_today() -> dt.date:
    """Today on the community's calendar."""
    return local_date(utcnow())
