"""Which organisations were active in a period, for the figures and the list behind them.

An organisation (a volunteer team, a unit's Party organisation) is active when one of its
members, or a Party member it employs, had an attendance approved in the period,
wherever it was. The figure asks that of each organisation (`active_organisations`);
the list starts from the same statement and adds who served (`members_who_served`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, union

from points_app.events.models import Attendance, AttendanceStatus
from points_app.people.models import Membership, Organisation, Volunteer
from points_app.reports import scope
from points_app.reports.period import Period
from points_app.reports.scope import CommunityMap


def _members() -> Any:
    """Who belongs to which organisation: its members, and the Party members it employs
    (once each, when someone is both)."""
    return union(
        select(Membership.organisation_id, Membership.volunteer_id),
        select(
            Volunteer.work_unit_id.label("organisation_id"), Volunteer.id.label("volunteer_id")
        ).where(Volunteer.work_unit_id.is_not(None)),
    ).subquery("members")


def _approved_in(period: Period) -> Any:
    return and_(
        Attendance.status == AttendanceStatus.approved,
        scope.between(Attendance.checked_in_at, period),
    )


def served_in(period: Period) -> Any:
    """Each volunteer with an approved attendance (anywhere) in the period, and its minutes."""
    return (
        select(
            Attendance.volunteer_id,
            func.coalesce(func.sum(Attendance.minutes), 0).label("minutes"),
        )
        .where(_approved_in(period))
        .group_by(Attendance.volunteer_id)
        .subquery("served")
    )


def served_member(period: Period) -> Any:
    """The condition that an organisation has a member, or a Party member it employs,
    whose attendance (anywhere) in the period was approved."""
    served = _approved_in(period)
    as_member = (
        select(Membership.volunteer_id)
        .join(Attendance, Attendance.volunteer_id == Membership.volunteer_id)
        .where(Membership.organisation_id == Organisation.id, served)
        .exists()
    )
    as_employee = (
        select(Volunteer.id)
        .join(Attendance, Attendance.volunteer_id == Volunteer.id)
        .where(Volunteer.work_unit_id == Organisation.id, served)
        .exists()
    )
    return or_(as_member, as_employee)


def active_organisations(cm: CommunityMap, period: Period) -> Any:
    """Organisations with a member whose attendance (anywhere) in the period was approved.

    Asked of each organisation of the area (`served_member`), which stops at the first
    member found: far less than reading who served in the period and every member of
    every organisation (250 million instructions of SQLite's against 2 million for a
    county's year, BENCHMARKS.md "Reports"). The list behind the figure starts here too,
    and joins who served (`served_in`) for its columns.
    """
    return (
        select(cm.community(Organisation.area_id))
        .select_from(Organisation)
        .where(cm.covers(Organisation.area_id))
        .where(Organisation.kind.in_(scope.TEAM_KINDS | scope.UNIT_KINDS))
        .where(served_member(period))
    )


def members_who_served(stmt: Any, period: Period) -> tuple[Any, Any]:
    """`stmt` (from `active_organisations`) joined to the members who served in the
    period, and that `served` subquery (volunteer_id, minutes) for its columns."""
    served = served_in(period)
    members = _members()
    joined = stmt.join(members, members.c.organisation_id == Organisation.id).join(
        served, served.c.volunteer_id == members.c.volunteer_id
    )
    return joined, served
