"""Event services: codes, check-in and check-out, attendance approval and points.

They take the acting user explicitly, accept `now` for tests, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from flask import has_request_context
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from points_app.areas.models import Area
from points_app.areas.services import community_of
from points_app.core import qr
from points_app.core.audit import record
from points_app.core.clock import local_today, local_zone
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.masking import mask_name
from points_app.core.permissions import Permission, can
from points_app.events.models import (
    Attendance,
    AttendanceMove,
    AttendanceStatus,
    Event,
    EventIssue,
    EventKind,
    EventSignup,
    PointsRule,
    Project,
    ProjectStatus,
    VolunteerCard,
)
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, Pairing, Volunteer

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


# --- events ---------------------------------------------------------------------------


@dataclass
class EventData:
    """What an organiser fills in for an event."""

    title: str
    kind: EventKind
    area: Area
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = ""
    description: str = ""
    capacity: int | None = None
    signup_required: bool = False
    points_rule: PointsRule = PointsRule.per_hour
    points_value: int = 1
    points_cap: int | None = None
    needs_checkout: bool = True
    needs_approval: bool = True
    rotates_code: bool = False
    project: Project | None = None
    issue_ids: tuple[int, ...] = ()


def next_welfare_day(today: dt.date) -> dt.date:
    """The next public-welfare day (党群公益日): the 28th of this month or the next."""
    if today.day <= 28:
        return today.replace(day=28)
    first_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next.replace(day=28)


def _check_event_data(data: EventData) -> None:
    if not data.title.strip():
        raise DomainError("validation_error", _l("Give the event a title."), 422)
    if data.ends_at <= data.starts_at:
        raise DomainError("validation_error", _l("The event must end after it starts."), 422)
    if data.ends_at - data.starts_at > dt.timedelta(days=7):
        raise DomainError("validation_error", _l("An event lasts at most seven days."), 422)
    if data.points_value < 0 or (data.points_cap is not None and data.points_cap <= 0):
        raise DomainError("validation_error", _l("Points must be zero or more."), 422)
    if data.capacity is not None and data.capacity <= 0:
        raise DomainError("validation_error", _l("The capacity must be at least one."), 422)
    if data.project is not None:
        if data.project.status is not ProjectStatus.claimed:
            raise DomainError(
                "project_not_running",
                _l("Events can be added only to a project that an organisation has claimed."),
                409,
            )
        if not data.area.is_within(data.project.area):
            raise DomainError(
                "validation_error", _l("The event must be held in the project's area."), 422
            )


def _link_issues(event: Event, issue_ids: tuple[int, ...]) -> None:
    from points_app.issues.models import Issue

    wanted = set(issue_ids)
    found = (
        {
            issue.id
            for issue in db.session.scalars(select(Issue).where(Issue.id.in_(wanted)))
            if issue.area.is_within(community_of(event.area) or event.area)
            or event.area.is_within(issue.area)
        }
        if wanted
        else set()
    )
    if wanted - found:
        raise DomainError(
            "validation_error", _l("Some of the chosen issues are not in the event's area."), 422
        )
    current = set(
        db.session.scalars(select(EventIssue.issue_id).where(EventIssue.event_id == event.id))
    )
    for issue_id in current - wanted:
        db.session.delete(db.session.get(EventIssue, (event.id, issue_id)))
    for issue_id in wanted - current:
        db.session.add(EventIssue(event_id=event.id, issue_id=issue_id))


def create_event(data: EventData, *, actor: Any) -> Event:
    """Create an event organised by the actor."""
    _check_event_data(data)
    event = Event(organiser_id=getattr(actor, "id", None))
    _apply(event, data)
    db.session.add(event)
    db.session.flush()
    _link_issues(event, data.issue_ids)
    record(actor, "event.create", "event", event.id)
    db.session.flush()
    return event


def update_event(event: Event, data: EventData, *, actor: Any) -> Event:
    """Change an event's details; the points rule of awarded attendances stays as it was."""
    _check_event_data(data)
    _apply(event, data)
    _link_issues(event, data.issue_ids)
    record(actor, "event.update", "event", event.id)
    db.session.flush()
    return event


def _apply(event: Event, data: EventData) -> None:
    event.title = data.title.strip()
    event.kind = data.kind
    event.area = data.area
    event.starts_at, event.ends_at = data.starts_at, data.ends_at
    event.place, event.description = data.place.strip(), data.description.strip()
    event.capacity, event.signup_required = data.capacity, data.signup_required
    event.points_rule, event.points_value = data.points_rule, data.points_value
    event.points_cap = data.points_cap
    event.needs_checkout, event.needs_approval = data.needs_checkout, data.needs_approval
    event.rotates_code = data.rotates_code
    event.project = data.project


def issue_ids_of(event: Event) -> list[int]:
    """The ids of the residents' issues the event serves."""
    stmt = select(EventIssue.issue_id).where(EventIssue.event_id == event.id)
    return sorted(db.session.scalars(stmt))


def record_people_served(event: Event, people: int, *, actor: Any) -> None:
    """Record how many people an event served (惠及人次)."""
    if people < 0:
        raise DomainError("validation_error", _l("The number cannot be negative."), 422)
    event.people_served = people
    record(actor, "event.people_served", "event", event.id, people=people)
    db.session.flush()


# --- QR codes -------------------------------------------------------------------------


def event_token(event: Event, now: dt.datetime | None = None) -> str:
    """The token an event's QR code carries now: rotating every 30 s, or fixed for print."""
    if event.rotates_code:
        return qr.sign("event", event.id, qr.current_window(_now(now).timestamp()))
    return qr.sign("event", event.id)


def _expired() -> DomainError:
    return DomainError(
        "expired_code",
        _l("This code has expired. Scan the code shown at the event again."),
        410,
    )


def event_from_code(scanned: qr.ScannedCode, now: dt.datetime | None = None) -> Event:
    """The event a verified code names, if the code is still good; refuse it otherwise."""
    if scanned.kind != "event":
        raise DomainError(
            "invalid_code", _l("This is not an event code. Scan the code of the event."), 400
        )
    event = db.session.get(Event, scanned.object_id)
    if event is None:
        raise qr._invalid()
    if event.rotates_code:
        if scanned.extra is None:
            raise _expired()
        window = qr.current_window(_now(now).timestamp())
        # The current and the previous window; one ahead tolerates clock skew between servers.
        if not window - 1 <= scanned.extra <= window + 1:
            raise _expired()
    elif scanned.extra is not None:
        raise _expired()
    if event.is_cancelled:
        raise DomainError("event_cancelled", _l("This event has been cancelled."), 410)
    return event


def resolve_event_code(scanned: qr.ScannedCode, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a scanned event code stands for, for the scan API."""
    event = event_from_code(scanned, now)
    return {
        "kind": "event",
        "id": event.id,
        "title": event.title,
        "event_kind": event.kind.value,
        "place": event.place,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "area": {"id": event.area.id, "name": event.area.name},
        "needs_checkout": event.needs_checkout,
    }


def card_version(volunteer: Volunteer) -> int:
    """The version of the volunteer's current person card (1 until reissued)."""
    version = db.session.scalar(
        select(VolunteerCard.version).where(VolunteerCard.volunteer_id == volunteer.id)
    )
    return version or 1


def person_token(volunteer: Volunteer) -> str:
    """The token on the volunteer's printed person card."""
    return qr.sign("person", volunteer.id, card_version(volunteer))


def reissue_person_card(volunteer: Volunteer, *, actor: Any) -> int:
    """Replace a lost person card: the old one stops working at once."""
    card = db.session.get(VolunteerCard, volunteer.id)
    if card is None:
        card = VolunteerCard(volunteer_id=volunteer.id, version=2)
        db.session.add(card)
    else:
        card.version += 1
        card.issued_at = utcnow()
    record(actor, "volunteer.card_reissue", "volunteer", volunteer.id)
    db.session.flush()
    return card.version


def volunteer_from_card(scanned: qr.ScannedCode) -> Volunteer:
    """The volunteer a scanned person card names; refuse a replaced card."""
    if scanned.kind != "person":
        raise DomainError(
            "invalid_code", _l("This is not a volunteer card. Scan the volunteer's card."), 400
        )
    volunteer = db.session.get(Volunteer, scanned.object_id)
    if volunteer is None:
        raise qr._invalid()
    if scanned.extra != card_version(volunteer):
        raise DomainError(
            "card_revoked",
            _l("This card has been replaced by a newer one. Ask for the new card."),
            410,
        )
    return volunteer


def resolve_person_card(scanned: qr.ScannedCode, *, actor: Any = None) -> dict[str, Any]:
    """What a scanned person card stands for, for the scan API.

    Only those who run events where the volunteer lives (organisers, the committee, above)
    learn the real name; anyone else learns it is a volunteer's card, with a masked name.
    """
    volunteer = volunteer_from_card(scanned)
    if can(actor, Permission.manage_events, volunteer.home_community):
        return {"kind": "person", "id": volunteer.id, "name": volunteer.real_name}
    return {"kind": "person", "id": volunteer.id, "name": mask_name(volunteer.real_name)}


# --- check-in and check-out -----------------------------------------------------------


def volunteer_for(user: Any) -> Volunteer:
    """The volunteer profile linked to a user; refuse a user without one."""
    volunteer = None
    if getattr(user, "is_authenticated", False):
        volunteer = db.session.scalars(
            select(Volunteer).where(Volunteer.user_id == user.id)
        ).first()
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


def _checked_in_at(event_id: int, volunteer_id: int) -> tuple[int, dt.datetime] | None:
    """The id and check-in time of a volunteer's attendance at an event, if any (cheap)."""
    row = db.session.execute(
        select(Attendance.id, Attendance.checked_in_at).where(
            Attendance.event_id == event_id, Attendance.volunteer_id == volunteer_id
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def _insert_once(attendance: Attendance) -> None:
    """Insert a new attendance; losing a race to the same volunteer is `already_checked_in`.

    On SQLite the writing transaction (BEGIN IMMEDIATE) already serialises check-ins, so
    the check above cannot be overtaken; on PostgreSQL the unique index decides, inside
    a savepoint so the loser can still answer.
    """
    if not _is_postgres():
        db.session.add(attendance)
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(attendance)
    except IntegrityError:
        if attendance in db.session:  # rolling the savepoint back usually expunged it
            db.session.expunge(attendance)
        winner = _checked_in_at(attendance.event_id, attendance.volunteer_id)
        if winner is None:
            raise
        raise _already_in(*winner) from None


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
    if not event.needs_checkout and not event.needs_approval:
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
    if not event.needs_approval:
        _approve(attendance, actor=actor, now=now, note="automatic")
    db.session.flush()
    return attendance


def _minutes(event: Event, start: dt.datetime, end: dt.datetime) -> int:
    """Minutes between two moments, counted only within the event's own time."""
    start, end = max(start, event.starts_at), min(end, event.ends_at)
    return max(int((end - start).total_seconds() // 60), 0)


def points_for(event: Event, minutes: int) -> int:
    """The points an attendance of so many minutes earns under the event's rule."""
    if event.points_rule is PointsRule.fixed:
        points = event.points_value
    else:
        points = math.ceil(minutes / 60) * event.points_value
    if event.points_cap is not None:
        points = min(points, event.points_cap)
    return points


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


def _id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None
    return getattr(actor, "id", None)


# --- approval and points --------------------------------------------------------------


def _lock(attendance: Attendance) -> Attendance:
    """Re-read the attendance under a row lock, so two approvals cannot both pass."""
    stmt = select(Attendance).where(Attendance.id == attendance.id)
    if _is_postgres():
        stmt = stmt.with_for_update(of=Attendance)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def transition_attendance(
    attendance: Attendance,
    to: AttendanceStatus,
    *,
    actor: Any,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Attendance:
    """Move an attendance along its workflow; approving it awards the points, once."""
    now = _now(now)
    attendance = _lock(attendance)
    if attendance.status is to and to is A.approved:
        return attendance  # approving twice is a no-op: one transfer, ever
    if to not in ALLOWED_MOVES[attendance.status]:
        raise DomainError(
            "invalid_transition",
            _l("This attendance is already %(status)s.", status=attendance.status.value),
            409,
        )
    if to is A.approved:
        return _approve(attendance, actor=actor, now=now, note=reason)
    if to is A.rejected and not reason.strip():
        raise DomainError("reason_required", _l("Say why the attendance is rejected."), 422)
    _move(attendance, to, actor=actor, now=now, note=reason)
    attendance.reject_reason = reason.strip()[:500] if to is A.rejected else None
    db.session.flush()
    return attendance


def approve_attendance(
    attendance: Attendance, *, actor: Any, now: dt.datetime | None = None
) -> Attendance:
    """Approve an attendance and award its points."""
    return transition_attendance(attendance, A.approved, actor=actor, now=now)


def reject_attendance(
    attendance: Attendance, reason: str, *, actor: Any, now: dt.datetime | None = None
) -> Attendance:
    """Reject an attendance, saying why."""
    return transition_attendance(attendance, A.rejected, actor=actor, reason=reason, now=now)


def bulk_approve(event: Event, *, actor: Any, now: dt.datetime | None = None) -> int:
    """Approve every complete, pending attendance of an event; return how many."""
    stmt = (
        select(Attendance)
        .where(
            Attendance.event_id == event.id,
            Attendance.status == A.pending,
            Attendance.minutes.is_not(None),
        )
        .order_by(Attendance.id)
    )
    attendances = list(db.session.scalars(stmt))
    for attendance in attendances:
        transition_attendance(attendance, A.approved, actor=actor, now=now)
    return len(attendances)


def _move(
    attendance: Attendance, to: AttendanceStatus, *, actor: Any, now: dt.datetime, note: str
) -> None:
    db.session.add(
        AttendanceMove(
            attendance_id=attendance.id,
            from_status=attendance.status,
            to_status=to,
            actor_id=_id(actor),
            at=now,
            note=note.strip()[:500],
        )
    )
    attendance.status = to
    attendance.decided_by_id = _id(actor)
    attendance.decided_at = now


def _approve(attendance: Attendance, *, actor: Any, now: dt.datetime, note: str) -> Attendance:
    if attendance.minutes is None:
        raise DomainError(
            "still_checked_in",
            _l("%(name)s has not checked out yet.", name=attendance.volunteer.real_name),
            409,
        )
    event = attendance.event
    points = points_for(event, attendance.minutes)
    _move(attendance, A.approved, actor=actor, now=now, note=note)
    attendance.points_awarded = points
    db.session.flush()
    if points > 0:
        if event.project_id is not None:
            _spend_budget(event.project_id, points)
        attendance.transfer_id = _award(attendance, points, actor=actor).id
    record(actor, "attendance.approve", "attendance", attendance.id, points=points)
    db.session.flush()
    return attendance


def _spend_budget(project_id: int, points: int) -> None:
    """Count an award against its project's budget, refusing to go beyond it."""
    spent = db.session.execute(
        update(Project)
        .where(Project.id == project_id, Project.points_spent + points <= Project.budget_points)
        .values(points_spent=Project.points_spent + points)
        .returning(Project.points_spent)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if spent is None:
        left = (
            db.session.scalar(
                select(Project.budget_points - Project.points_spent).where(Project.id == project_id)
            )
            or 0
        )
        raise DomainError(
            "over_budget",
            _l(
                "The project has %(left)s points left of its budget; this award needs %(points)s.",
                left=left,
                points=points,
            ),
            409,
            points_left=left,
        )
    project = db.session.get(Project, project_id)
    if project is not None:
        db.session.expire(project, ["points_spent"])


def _award(attendance: Attendance, points: int, *, actor: Any) -> Any:
    """Transfer the points from the community's issuance account, once per attendance."""
    volunteer = attendance.volunteer
    community = community_of(attendance.event.area) or volunteer.home_community
    source = ledger.system_account(community, AccountKind.issuance)
    if attendance.for_household_id is not None:
        household = db.session.get(Household, attendance.for_household_id)
        assert household is not None
        target = ledger.account_for_household(household)
    else:
        target = ledger.account_for_volunteer(volunteer)
    return ledger.transfer(
        debit=source,
        credit=target,
        amount=points,
        kind=TransferKind.earn,
        actor=actor,
        memo=attendance.event.title,
        reference=("attendance", attendance.id),
        idempotency_key=f"attendance:{attendance.id}",
    )


# --- sign-ups -------------------------------------------------------------------------


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


# --- reading --------------------------------------------------------------------------


def attendances_of(event: Event) -> list[Attendance]:
    """Every attendance of an event, latest check-in first."""
    stmt = (
        select(Attendance)
        .where(Attendance.event_id == event.id)
        .order_by(Attendance.checked_in_at.desc(), Attendance.id.desc())
    )
    return list(db.session.scalars(stmt))


def present(event: Event) -> list[dict[str, Any]]:
    """Who is checked in and not yet out: name and time, for the organiser's live list."""
    rows = db.session.execute(
        select(Volunteer.id, Volunteer.real_name, Attendance.checked_in_at)
        .join(Attendance, Attendance.volunteer_id == Volunteer.id)
        .where(Attendance.event_id == event.id, Attendance.checked_out_at.is_(None))
        .order_by(Attendance.checked_in_at.desc())
    )
    return [{"volunteer_id": r[0], "name": r[1], "checked_in_at": r[2]} for r in rows]


@dataclass
class ServiceSummary:
    """A volunteer's record: hours, points, events, what their households received."""

    minutes: int
    points_to_self: int
    points_to_households: int
    attendances: list[Attendance]
    balance: int


def service_summary(volunteer: Volunteer, limit: int = 50) -> ServiceSummary:
    """Sum up a volunteer's approved service and list their latest attendances."""
    approved = (Attendance.volunteer_id == volunteer.id) & (Attendance.status == A.approved)
    totals = db.session.execute(
        select(
            func.coalesce(func.sum(Attendance.minutes), 0),
            func.coalesce(
                func.sum(Attendance.points_awarded).filter(Attendance.for_household_id.is_(None)),
                0,
            ),
            func.coalesce(
                func.sum(Attendance.points_awarded).filter(
                    Attendance.for_household_id.is_not(None)
                ),
                0,
            ),
        ).where(approved)
    ).one()
    rows = db.session.scalars(
        select(Attendance)
        .where(Attendance.volunteer_id == volunteer.id)
        .order_by(Attendance.checked_in_at.desc())
        .limit(limit)
    )
    from points_app.ledger.models import Account

    balance = db.session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))
    return ServiceSummary(
        minutes=int(totals[0]),
        points_to_self=int(totals[1]),
        points_to_households=int(totals[2]),
        attendances=list(rows),
        balance=balance or 0,
    )


def open_events_for(user: Any, volunteer: Volunteer, now: dt.datetime | None = None) -> list[Event]:
    """Events on now, managed by the user, that the volunteer may check into."""
    from points_app.core.permissions import Permission, area_clause

    now = _now(now)
    stmt = (
        select(Event)
        .join(Area, Area.id == Event.area_id)
        .where(
            area_clause(Area.path, user, Permission.manage_events),
            Event.starts_at <= now + EARLY_CHECKIN,
            Event.ends_at >= now,
            Event.is_cancelled.is_(False),
        )
        .order_by(Event.starts_at)
    )
    return [e for e in db.session.scalars(stmt) if may_serve_at(volunteer, e)]
