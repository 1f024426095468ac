"""Corrections by an organiser: manual attendance and minutes of a pending attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l

from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.events.models import (
    Attendance,
    Event,
)
from points_app.events.services.checkin import (
    _already_in,
    _check_may_attend,
    _checked_in_at,
    may_serve_at,
)
from points_app.events.services.common import A, _id
from points_app.extensions import db
from points_app.people.models import Volunteer


def add_manual_attendance(
    event: Event, volunteer: Volunteer, minutes: int, *, actor: Any, note: str = ""
) -> Attendance:
    """Record by hand a volunteer's time at an event (marked as such); pending approval."""
    _check_manual_minutes(event, minutes)
    existing = _checked_in_at(event.id, volunteer.id)
    if existing is not None:
        raise _already_in(*existing)
    if not may_serve_at(volunteer, event):
        _check_may_attend(event, volunteer)
    attendance = Attendance(
        event_id=event.id,
        volunteer_id=volunteer.id,
        checked_in_at=event.starts_at,
        checked_out_at=event.starts_at + dt.timedelta(minutes=minutes),
        minutes=minutes,
        is_manual=True,
        review_note=note.strip()[:200],
        recorded_by_id=_id(actor),
    )
    db.session.add(attendance)
    db.session.flush()  # the audit entry names the attendance by its id
    record(actor, "attendance.manual", "attendance", attendance.id, minutes=minutes)
    db.session.flush()
    return attendance


def set_minutes(attendance: Attendance, minutes: int, *, actor: Any) -> Attendance:
    """Correct the minutes of a pending attendance by hand (marked as such)."""
    if attendance.status is not A.pending:
        raise DomainError(
            "already_decided", _l("Only attendance awaiting approval can be changed."), 409
        )
    _check_manual_minutes(attendance.event, minutes)
    attendance.minutes = minutes
    attendance.is_manual = True
    if attendance.checked_out_at is None:
        attendance.checked_out_at = max(
            attendance.checked_in_at, attendance.event.starts_at + dt.timedelta(minutes=minutes)
        )
    record(actor, "attendance.set_minutes", "attendance", attendance.id, minutes=minutes)
    db.session.flush()
    return attendance


def _check_manual_minutes(event: Event, minutes: int) -> None:
    if minutes <= 0:
        raise DomainError("validation_error", _l("Enter a time above zero."), 422)
    if minutes > event.length_minutes:
        raise DomainError(
            "too_many_minutes",
            _l(
                "The time cannot be longer than the event itself (%(minutes)s minutes).",
                minutes=event.length_minutes,
            ),
            422,
        )
