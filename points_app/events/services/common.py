"""Shared constants, the attendance moves table and small helpers of the event services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context
from flask_babel import format_datetime

from points_app.core.clock import local_zone
from points_app.core.db import utcnow
from points_app.events.models import (
    AttendanceStatus,
)
from points_app.extensions import db

EARLY_CHECKIN = dt.timedelta(minutes=30)


STALE_AFTER = dt.timedelta(hours=12)


A = AttendanceStatus


ALLOWED_MOVES: dict[AttendanceStatus, frozenset[AttendanceStatus]] = {
    A.pending: frozenset({A.approved, A.rejected}),
    A.rejected: frozenset({A.pending}),  # reconsidered
    A.approved: frozenset(),  # undone only by a reversing transfer, never by a move
}


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


def _local(moment: dt.datetime, pattern: str) -> str:
    """Format a moment in local time (Flask-Babel in a request, the default zone outside)."""
    if has_request_context():
        return format_datetime(moment, pattern)
    local = moment.astimezone(local_zone())
    return local.strftime("%H:%M" if pattern == "HH:mm" else "%Y-%m-%d %H:%M")


def _hhmm(moment: dt.datetime) -> str:
    return _local(moment, "HH:mm")


def _is_postgres() -> bool:
    return db.session.connection().dialect.name == "postgresql"


def _id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None
    return getattr(actor, "id", None)
