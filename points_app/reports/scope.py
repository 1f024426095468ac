"""What the reports count, as SQL: each record's community and period, in one place.

Every figure and every list behind it starts from one of these, so a figure and its list
always agree. A record belongs to the community its area lies in (`community_map`);
records of areas above community level (a street's own session) belong to no community
and are counted nowhere, so a street's or the county's total is by construction the sum
of its communities.

Which moment puts a record in a period:
- an attendance: its check-in (a night shift from 23:30 on the 31st counts on the 31st);
- an event (talk, welfare day, people served): its start, so an event over the period's
  edge counts once, in the period it started in;
- an issue: raised when recorded (`created_at`), resolved when closed (`closed_at`);
- a talk session, a mediation: their local date; a project move, a transfer, a
  redemption, an evaluation: when it was made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, literal, select
from sqlalchemy.orm import aliased

from points_app.areas.models import Area, AreaLevel
from points_app.events.models import Attendance, AttendanceStatus, Event, EventKind
from points_app.issues.models import Issue, IssueState
from points_app.people.models import OrganisationKind
from points_app.reports.period import Period

# Organisations counted as "units' Party organisations active" (单位党组织).
UNIT_KINDS = frozenset({OrganisationKind.resident_unit})
TEAM_KINDS = frozenset({OrganisationKind.volunteer_team})
TALK_KINDS = frozenset({EventKind.legal_talk})


def community_map(area: Area) -> Subquery:
    """(area_id, community_id) for every area at or below a community inside `area`."""
    node, community = aliased(Area), aliased(Area)
    return (
        select(
            node.id.label("area_id"),
            community.id.label("community_id"),
            community.name.label("community_name"),
        )
        .join(
            community,
            and_(community.level == AreaLevel.community, node.path.startswith(community.path)),
        )
        .where(community.path.startswith(area.path, autoescape=True))
        .subquery("cm")
    )


def communities_in(area: Area) -> Select[tuple[Area]]:
    """The communities at or below an area, by name."""
    return (
        select(Area)
        .where(Area.level == AreaLevel.community, Area.path.startswith(area.path, autoescape=True))
        .order_by(Area.path)
    )


def between(column: Any, period: Period) -> ColumnElement[bool]:
    """A UTC moment inside the period's local days."""
    return and_(column >= period.utc_start, column < period.utc_end)


def between_days(column: Any, period: Period) -> ColumnElement[bool]:
    """A local date inside the period."""
    return and_(column >= period.start, column <= period.end)


def month_index(column: Any, period: Period) -> Any:
    """0 for the period's first local month, 1 for the next…: a CASE on UTC boundaries."""
    boundaries = period.month_boundaries()
    if not boundaries:
        return literal(0)
    whens = [(column < moment, index) for index, moment in enumerate(boundaries)]
    return case(*whens, else_=len(boundaries))


def approved_attendances(cm: Subquery, period: Period) -> Select[Any]:
    """Approved attendances checked in during the period, joined to their event and community.

    Select the columns with `.with_only_columns(...)` or `.add_columns(...)`.
    """
    return (
        select(cm.c.community_id)
        .select_from(Attendance)
        .join(Event, Event.id == Attendance.event_id)
        .join(cm, cm.c.area_id == Event.area_id)
        .where(
            Attendance.status == AttendanceStatus.approved,
            between(Attendance.checked_in_at, period),
        )
    )


def held_events(cm: Subquery, period: Period) -> Select[Any]:
    """Events (not cancelled) that started during the period, with their community."""
    return (
        select(cm.c.community_id)
        .select_from(Event)
        .join(cm, cm.c.area_id == Event.area_id)
        .where(Event.is_cancelled.is_(False), between(Event.starts_at, period))
    )


def raised_issues(cm: Subquery, period: Period) -> Select[Any]:
    """Issues recorded during the period, with their community."""
    return (
        select(cm.c.community_id)
        .select_from(Issue)
        .join(cm, cm.c.area_id == Issue.area_id)
        .where(between(Issue.created_at, period))
    )


def resolved_issues(cm: Subquery, period: Period) -> Select[Any]:
    """Issues closed (solved and accepted by the resident) during the period."""
    return (
        select(cm.c.community_id)
        .select_from(Issue)
        .join(cm, cm.c.area_id == Issue.area_id)
        .where(Issue.state == IssueState.closed, between(Issue.closed_at, period))
    )


def overdue_issues(cm: Subquery, period: Period, today: Any) -> Select[Any]:
    """Issues recorded by the period's end that are being handled past their deadline now."""
    return (
        select(cm.c.community_id)
        .select_from(Issue)
        .join(cm, cm.c.area_id == Issue.area_id)
        .where(
            Issue.state == IssueState.handling,
            Issue.due_on < today,
            Issue.created_at < period.utc_end,
        )
    )
