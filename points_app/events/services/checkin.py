"""Check-in and check-out, sign-up, and closing attendances left open."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select

from points_app.core.clock import local_today
from points_app.core.db import insert_unless_taken, prepared
from points_app.core.errors import DomainError
from points_app.events.models import (
    Attendance,
    Event,
    EventSignup,
)
from points_app.events.services.approval import _approve
from points_app.events.services.common import (
    EARLY_CHECKIN,
    STALE_AFTER,
    _hhmm,
    _id,
    _is_postgres,
    _local,
    _now,
)
from points_app.events.services.rules import _minutes
from points_app.extensions import db
from points_app.people.models import Household, Pairing, Volunteer


@prepared
def _volunteer_query() -> Select[tuple[Volunteer]]:
    return select(Volunteer).where(Volunteer.user_id == bindparam("user_id"))


def volunteer_for(user: Any) -> Volunteer:
    """The volunteer profile linked to a user; refuse a user without one."""
    volunteer = None
    if getattr(user, "is_authenticated", False):
        volunteer = db.session.scalars(_volunteer_query(), {"user_id": user.id}).first()
    if volunteer is None:
        raise DomainError(
            "no_volunteer_profile",
            _l(
                "Your account is not linked to a volunteer profile. "
                "Ask the organiser to register you as a volunteer."
            ),
            403,
        )
    return volunteer


def may_serve_at(volunteer: Volunteer, event: Event) -> bool:
    """A volunteer serves in their home community, or at events above it (street, county)."""
    home = volunteer.home_community
    return home.is_within(event.area) or event.area.is_within(home)


def _check_may_attend(event: Event, volunteer: Volunteer) -> None:
    if not may_serve_at(volunteer, event):
        raise DomainError(
            "other_community",
            _l(
                "This event is for volunteers of %(area)s; you are registered in %(home)s.",
                area=event.area.name,
                home=volunteer.home_community.name,
            ),
            403,
        )
    if event.signup_required:
        signup = db.session.scalars(
            select(EventSignup).where(
                EventSignup.event_id == event.id, EventSignup.volunteer_id == volunteer.id
            )
        ).first()
        if signup is None:
            raise DomainError(
                "not_signed_up", _l("This event needs a sign-up first, and you have none."), 403
            )
        if signup.approved_at is None:
            raise DomainError(
                "signup_not_approved",
                _l("Your sign-up has not been approved by the organiser yet."),
                403,
            )


def _check_time_window(event: Event, now: dt.datetime) -> None:
    if now < event.starts_at - EARLY_CHECKIN:
        raise DomainError(
            "not_started",
            _l(
                "The event starts at %(start)s; check-in opens 30 minutes before.",
                start=_local(event.starts_at, "short"),
            ),
            409,
        )
    if now > event.ends_at:
        raise DomainError(
            "event_ended",
            _l("The event ended at %(end)s; check-in is closed.", end=_hhmm(event.ends_at)),
            409,
        )


def current_pairings(volunteer: Volunteer, on: dt.date | None = None) -> list[Pairing]:
    """The volunteer's pairings in force today, for the "earn for my household" choice."""
    day = on or local_today()
    rows = db.session.scalars(
        select(Pairing).where(
            Pairing.volunteer_id == volunteer.id,
            Pairing.start_date <= day,
            (Pairing.end_date.is_(None)) | (Pairing.end_date >= day),
        )
    )
    return list(rows)


def _household_choice(
    volunteer: Volunteer, household_id: int | None, now: dt.datetime
) -> Household | None:
    if household_id is None:
        return None
    for pairing in current_pairings(volunteer, now.date()):
        if pairing.household_id == household_id:
            return pairing.household
    raise DomainError(
        "not_paired", _l("You can earn only for a household you are paired with now."), 422
    )


@prepared
def _checked_in_query() -> Select[tuple[int, dt.datetime]]:
    return select(Attendance.id, Attendance.checked_in_at).where(
        Attendance.event_id == bindparam("event_id"),
        Attendance.volunteer_id == bindparam("volunteer_id"),
    )


def _checked_in_at(event_id: int, volunteer_id: int) -> tuple[int, dt.datetime] | None:
    """The id and check-in time of a volunteer's attendance at an event, if any (cheap)."""
    row = (
        db.session.connection()
        .execute(_checked_in_query(), {"event_id": event_id, "volunteer_id": volunteer_id})
        .first()
    )
    return (row[0], row[1]) if row is not None else None


def _insert_once(attendance: Attendance) -> None:
    """Insert a new attendance; losing a race to the same volunteer is `already_checked_in`.

    One statement that does nothing when the volunteer is in already (SQLite's
    BEGIN IMMEDIATE rules the race out; on PostgreSQL the unique index decides it).
    """
    if not insert_unless_taken(attendance, unique=("event_id", "volunteer_id")):
        winner = _checked_in_at(attendance.event_id, attendance.volunteer_id)
        if winner is None:
            raise RuntimeError("attendance insert skipped, yet no attendance found")
        raise _already_in(*winner)


def _existing(event: Event, volunteer: Volunteer) -> Attendance | None:
    return db.session.scalars(
        select(Attendance).where(
            Attendance.event_id == event.id, Attendance.volunteer_id == volunteer.id
        )
    ).first()


def _already_in(attendance_id: int, checked_in_at: dt.datetime) -> DomainError:
    return DomainError(
        "already_checked_in",
        _l("Already checked in at %(time)s.", time=_hhmm(checked_in_at)),
        409,
        attendance_id=attendance_id,
    )


def _check_capacity(event: Event) -> None:
    if event.capacity is None:
        return
    if _is_postgres():
        # Check-ins to a limited event queue on the event row, so the count cannot race.
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
    count = db.session.scalar(
        select(func.count(Attendance.id)).where(Attendance.event_id == event.id)
    )
    if (count or 0) >= event.capacity:
        raise DomainError("event_full", _l("The event is full."), 409)


def check_in(
    event: Event,
    volunteer: Volunteer,
    *,
    actor: Any,
    now: dt.datetime | None = None,
    for_household_id: int | None = None,
) -> Attendance:
    """Check a volunteer in at an event; a second check-in is refused, nothing recorded."""
    now = _now(now)
    existing = _checked_in_at(event.id, volunteer.id)
    if existing is not None:
        raise _already_in(*existing)
    _check_may_attend(event, volunteer)
    _check_time_window(event, now)
    household = _household_choice(volunteer, for_household_id, now)
    _check_capacity(event)
    attendance = Attendance(
        event_id=event.id,
        volunteer_id=volunteer.id,
        checked_in_at=now,
        for_household_id=household.id if household else None,
        recorded_by_id=_id(actor),
    )
    if not event.needs_checkout:
        attendance.minutes = _minutes(event, event.starts_at, event.ends_at)
    # Born pending: the history records moves from here on (the check-in is the hot path).
    _insert_once(attendance)
    # Someone who signed themselves up waits for an organiser to confirm them first.
    if not event.needs_checkout and not event.needs_approval and volunteer.is_confirmed:
        _approve(attendance, actor=actor, now=now, note="automatic")
    db.session.flush()
    return attendance


def check_out(
    event: Event, volunteer: Volunteer, *, actor: Any, now: dt.datetime | None = None
) -> Attendance:
    """Check a volunteer out; the minutes are counted within the event's time."""
    now = _now(now)
    close_stale(now=now, event=event)
    attendance = _existing(event, volunteer)
    if attendance is None:
        raise DomainError(
            "not_checked_in",
            _l("You have not checked in at this event, so you cannot check out."),
            409,
        )
    if not event.needs_checkout:
        raise DomainError(
            "no_checkout_needed", _l("This event needs no check-out; your time is counted."), 409
        )
    if attendance.checked_out_at is not None:
        raise DomainError(
            "already_checked_out",
            _l("Already checked out at %(time)s.", time=_hhmm(attendance.checked_out_at)),
            409,
        )
    attendance.checked_out_at = max(now, attendance.checked_in_at)
    attendance.minutes = _minutes(event, attendance.checked_in_at, attendance.checked_out_at)
    if not event.needs_approval and volunteer.is_confirmed:
        _approve(attendance, actor=actor, now=now, note="automatic")
    db.session.flush()
    return attendance


def close_stale(*, now: dt.datetime | None = None, event: Event | None = None) -> int:
    """Check out everyone still in 12 hours after their event's end, at the end time,
    and flag them for review. Return how many were closed."""
    now = _now(now)
    if event is not None and (not event.needs_checkout or now <= event.ends_at + STALE_AFTER):
        return 0
    stmt = (
        select(Attendance)
        .join(Event, Event.id == Attendance.event_id)
        .where(
            Attendance.checked_out_at.is_(None),
            Event.needs_checkout.is_(True),
            Event.ends_at < now - STALE_AFTER,
        )
        .order_by(Attendance.id)
    )
    if event is not None:
        stmt = stmt.where(Attendance.event_id == event.id)
    closed = 0
    for attendance in db.session.scalars(stmt):
        ev = attendance.event
        attendance.checked_out_at = max(ev.ends_at, attendance.checked_in_at)
        attendance.minutes = _minutes(ev, attendance.checked_in_at, attendance.checked_out_at)
        attendance.needs_review = True
        attendance.review_note = "not_checked_out"
        closed += 1
    db.session.flush()
    return closed


def has_stale(event: Event, now: dt.datetime | None = None) -> bool:
    """True if someone is still checked in long after the event ended (cheap to ask)."""
    if not event.needs_checkout or _now(now) <= event.ends_at + STALE_AFTER:
        return False
    stmt = select(Attendance.id).where(
        Attendance.event_id == event.id, Attendance.checked_out_at.is_(None)
    )
    return db.session.scalar(stmt.limit(1)) is not None


def sign_up(event: Event, volunteer: Volunteer, *, now: dt.datetime | None = None) -> EventSignup:
    """Sign a volunteer up for an event that asks for it (once)."""
    if not may_serve_at(volunteer, event):
        _check_may_attend(event, volunteer)
    if _now(now) > event.ends_at:
        raise DomainError("event_ended", _l("The event is over."), 409)
    existing = db.session.scalars(
        select(EventSignup).where(
            EventSignup.event_id == event.id, EventSignup.volunteer_id == volunteer.id
        )
    ).first()
    if existing is not None:
        return existing
    signup = EventSignup(event_id=event.id, volunteer_id=volunteer.id)
    db.session.add(signup)
    db.session.flush()
    return signup


def approve_signup(signup: EventSignup, *, actor: Any, now: dt.datetime | None = None) -> None:
    """Let a signed-up volunteer come to the event."""
    if signup.approved_at is None:
        signup.approved_at = _now(now)
        signup.approved_by_id = _id(actor)
        db.session.flush()
