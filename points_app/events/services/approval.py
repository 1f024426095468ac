"""Attendance approval and rejection, manual attendance, and the points it awards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.events.models import (
    Attendance,
    AttendanceMove,
    AttendanceStatus,
    Event,
    Project,
)
from points_app.events.services.common import ALLOWED_MOVES, A, _id, _is_postgres, _now
from points_app.events.services.rules import points_for
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, Volunteer
from points_app.recognition import notice


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
        _confirm_person(attendance, actor=actor, now=now)
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
    """Approve every complete, pending attendance of an event; return how many.

    People who signed themselves up and are not confirmed yet are left for one by one.
    """
    stmt = (
        select(Attendance)
        .join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .where(
            Attendance.event_id == event.id,
            Attendance.status == A.pending,
            Attendance.minutes.is_not(None),
            Volunteer.confirmed_at.is_not(None),
        )
        .order_by(Attendance.id)
    )
    attendances = list(db.session.scalars(stmt))
    for attendance in attendances:
        transition_attendance(attendance, A.approved, actor=actor, now=now)
    return len(attendances)


def _confirm_person(attendance: Attendance, *, actor: Any, now: dt.datetime) -> None:
    """Approving a self-signed-up volunteer's attendance vouches for the person as well."""
    volunteer = attendance.volunteer
    if volunteer.is_confirmed:
        return
    if not can(actor, Permission.manage_people, volunteer.area):
        raise DomainError(
            "unconfirmed_volunteer",
            _l(
                "%(name)s signed up here and is not confirmed yet; an organiser of "
                "%(area)s must confirm them first.",
                name=volunteer.real_name,
                area=volunteer.area.name,
            ),
            409,
        )
    volunteer.confirmed_at = now
    record(actor, "volunteer.confirm", "volunteer", volunteer.id, attendance_id=attendance.id)


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
        attendance.transfer_id = _award(attendance, points, actor=actor, now=now).id
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


def _award(attendance: Attendance, points: int, *, actor: Any, now: dt.datetime) -> Any:
    """Transfer the points from the community's issuance account, once per attendance;
    they wait on the community's public notice (公示) if it posts one."""
    volunteer = attendance.volunteer
    community = community_of(attendance.event.area) or volunteer.home_community
    source = ledger.system_account(community, AccountKind.issuance)
    if attendance.for_household_id is not None:
        household = db.session.get(Household, attendance.for_household_id)
        assert household is not None
        target = ledger.account_for_household(household)
    else:
        target = ledger.account_for_volunteer(volunteer)
    award = ledger.transfer(
        debit=source,
        credit=target,
        amount=points,
        kind=TransferKind.earn,
        actor=actor,
        memo=attendance.event.title,
        reference=("attendance", attendance.id),
        idempotency_key=f"attendance:{attendance.id}",
    )
    notice.hold_award(award, community, now)
    return award
