"""Read helpers: who is present, a volunteer's service and the events open to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from points_app.areas.models import Area
from points_app.events.models import (
    Attendance,
    Event,
)
from points_app.events.services.checkin import may_serve_at
from points_app.events.services.common import EARLY_CHECKIN, A, _now
from points_app.extensions import db
from points_app.people.models import Volunteer


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
