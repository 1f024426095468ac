"""Read-only queries for issues: lists, the dashboard, stage times and contributions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import visible_areas
from points_app.core.clock import local_zone
from points_app.core.permissions import Permission, area_clause, area_paths, can
from points_app.extensions import db
from points_app.issues import deadlines
from points_app.issues.contributions import (  # noqa: F401  (part of this module's reads)
    Contributions,
    ContributionTotals,
    Contributor,
    contribution_totals,
    contributions,
)
from points_app.issues.models import (
    HandlingLevel,
    Issue,
    IssueCategory,
    IssueEvent,
    IssueState,
    TalkSession,
)

# Whoever may record issues in an area may see the issues and talk sessions there.
VIEW = Permission.raise_issue
SESSION_LEVELS = (AreaLevel.community, AreaLevel.grid, AreaLevel.microgrid)
OPEN_STATES = (
    IssueState.raised,
    IssueState.deliberating,
    IssueState.handling,
    IssueState.evaluating,
)


def overdue_clause(today: dt.date) -> ColumnElement[bool]:
    """Issues being handled past their deadline."""
    return and_(Issue.state == IssueState.handling, Issue.due_on < today)


def mine_clause(actor: Any) -> ColumnElement[bool]:
    """Issues the actor raised or moved at some point."""
    user_id = getattr(actor, "id", None)
    moved = select(IssueEvent.issue_id).where(IssueEvent.actor_id == user_id)
    return or_(Issue.raised_by_id == user_id, Issue.id.in_(moved))


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def session_clause(actor: Any) -> ColumnElement[bool]:
    """Talk sessions the actor may see: in their areas, or of the community they work in.

    A grid worker sees the sessions of their community, not only those of their grid.
    `Area` must be joined to TalkSession.
    """
    above = {p for path in area_paths(actor, VIEW) for p in _ancestor_paths(path)}
    return or_(
        area_clause(Area.path, actor, VIEW),
        and_(Area.path.in_(sorted(above)), Area.level.in_(SESSION_LEVELS)),
    )


def can_see_session(actor: Any, session: TalkSession) -> bool:
    """The same rule as `session_clause`, for one session."""
    if can(actor, VIEW, session.area):
        return True
    return session.area.level in SESSION_LEVELS and any(
        path.startswith(session.area.path) for path in area_paths(actor, VIEW)
    )


def visible_issues(actor: Any) -> Select[tuple[Issue]]:
    """Issues in areas where the actor may see them."""
    stmt = select(Issue).join(Area, Area.id == Issue.area_id)
    return stmt.where(area_clause(Area.path, actor, VIEW))


def _local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()).astimezone(dt.UTC)


def list_issues(
    actor: Any,
    *,
    today: dt.date,
    state: IssueState | None = None,
    area: Area | None = None,
    category: IssueCategory | None = None,
    overdue: bool = False,
    mine: bool = False,
    text: str = "",
    page: int = 1,
    per_page: int = 30,
) -> tuple[list[Issue], bool]:
    """A page of visible issues, newest first, filtered; and whether there is a next page."""
    stmt = visible_issues(actor)
    if state is not None:
        stmt = stmt.where(Issue.state == state)
    if area is not None:
        stmt = stmt.where(Area.path.startswith(area.path, autoescape=True))
    if category is not None:
        stmt = stmt.where(Issue.category == category)
    if overdue:
        stmt = stmt.where(overdue_clause(today))
    if mine:
        stmt = stmt.where(mine_clause(actor))
    if text.strip():
        stmt = stmt.where(Issue.title.contains(text.strip(), autoescape=True))
    stmt = stmt.order_by(Issue.created_at.desc(), Issue.id.desc())
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def my_open_issues(actor: Any) -> list[Issue]:
    """The actor's unfinished issues, the nearest deadline first."""
    stmt = (
        visible_issues(actor)
        .where(mine_clause(actor), Issue.state.in_(OPEN_STATES))
        .order_by(Issue.due_on.is_(None), Issue.due_on, Issue.created_at.desc())
        .limit(200)
    )
    return list(db.session.scalars(stmt))


# --- the dashboard ------------------------------------------------------------------------


@dataclass
class CommunityTalks:
    """A community's talk sessions this month and its fixed talk day."""

    community: Area
    talk_day: dt.date
    sessions: int

    @property
    def is_missing(self) -> bool:
        return self.sessions == 0


@dataclass
class Dashboard:
    """Counts by state, overdue issues and this month's talk sessions."""

    counts: dict[IssueState, int]
    overdue: int
    sessions: list[TalkSession]
    communities: list[CommunityTalks]

    @property
    def missing(self) -> list[CommunityTalks]:
        return [c for c in self.communities if c.is_missing]

    @property
    def open_total(self) -> int:
        return sum(self.counts[s] for s in OPEN_STATES)


def sessions_between(actor: Any, first: dt.date, last: dt.date) -> list[TalkSession]:
    """Visible talk sessions held (or planned) between two days, in date order."""
    stmt = (
        select(TalkSession)
        .join(Area, Area.id == TalkSession.area_id)
        .where(session_clause(actor), TalkSession.held_on.between(first, last))
        .order_by(TalkSession.held_on, TalkSession.id)
    )
    return list(db.session.scalars(stmt))


def community_talks(actor: Any, today: dt.date) -> list[CommunityTalks]:
    """Every visible community with its sessions this month; none means a warning."""
    from points_app.issues.services import settings_for

    first, last = deadlines.month_bounds(today)
    sessions = sessions_between(actor, first, last)
    result = []
    for community in visible_areas(actor, VIEW, AreaLevel.community):
        count = sum(1 for s in sessions if s.area.path.startswith(community.path))
        talk_day = today.replace(day=settings_for(community).talk_day)
        result.append(CommunityTalks(community=community, talk_day=talk_day, sessions=count))
    return result


def dashboard(actor: Any, today: dt.date) -> Dashboard:
    """The small dashboard: counts by state, overdue count, this month's talk sessions."""
    base = (
        select(Issue.state, func.count(Issue.id))
        .join(Area, Area.id == Issue.area_id)
        .where(area_clause(Area.path, actor, VIEW))
        .group_by(Issue.state)
    )
    counts = dict.fromkeys(IssueState, 0)
    for state, count in db.session.execute(base):
        counts[IssueState(state)] = int(count)
    overdue = db.session.scalar(
        select(func.count(Issue.id))
        .join(Area, Area.id == Issue.area_id)
        .where(area_clause(Area.path, actor, VIEW), overdue_clause(today))
    )
    first, last = deadlines.month_bounds(today)
    return Dashboard(
        counts=counts,
        overdue=int(overdue or 0),
        sessions=sessions_between(actor, first, last),
        communities=community_talks(actor, today),
    )


def list_sessions(
    actor: Any, *, page: int = 1, per_page: int = 30
) -> tuple[list[TalkSession], bool]:
    """A page of visible talk sessions, newest first."""
    stmt = (
        select(TalkSession)
        .join(Area, Area.id == TalkSession.area_id)
        .where(session_clause(actor))
        .order_by(TalkSession.held_on.desc(), TalkSession.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    rows = list(db.session.scalars(stmt))
    return rows[:per_page], len(rows) > per_page


def session_issues(session: TalkSession) -> tuple[list[Issue], list[Issue]]:
    """The issues raised at a talk session, and the ones it decided."""
    raised = db.session.scalars(
        select(Issue).where(Issue.raised_session_id == session.id).order_by(Issue.id)
    )
    decided = db.session.scalars(
        select(Issue).where(Issue.decided_session_id == session.id).order_by(Issue.id)
    )
    return list(raised), list(decided)


def waiting_issues(session: TalkSession, actor: Any, limit: int = 100) -> list[Issue]:
    """Open issues of the session's area (and below) still to be discussed, oldest first."""
    stmt = (
        visible_issues(actor)
        .where(
            Area.path.startswith(session.area.path, autoescape=True),
            Issue.state.in_((IssueState.raised, IssueState.deliberating)),
        )
        .order_by(Issue.created_at, Issue.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def recent_sessions_for(issue: Issue, actor: Any) -> list[TalkSession]:
    """Talk sessions of the issue's community since a month before it was raised."""
    from points_app.areas.services import community_of

    community = community_of(issue.area)
    if community is None:
        return []
    first = deadlines.local_date(issue.created_at) - dt.timedelta(days=31)
    stmt = (
        select(TalkSession)
        .join(Area, Area.id == TalkSession.area_id)
        .where(
            Area.path.startswith(community.path, autoescape=True),
            session_clause(actor),
            TalkSession.held_on >= first,
        )
        .order_by(TalkSession.held_on.desc())
        .limit(20)
    )
    return list(db.session.scalars(stmt))


# --- stage times --------------------------------------------------------------------------


@dataclass
class Stage:
    """A stretch of time the issue spent in one state (and handling level)."""

    state: IssueState
    level: HandlingLevel | None
    start: dt.datetime
    end: dt.datetime | None

    def duration(self, until: dt.datetime) -> dt.timedelta:
        return (self.end or until) - self.start


def stages(issue: Issue) -> list[Stage]:
    """The issue's timeline cut into stages; the last one is open unless it is finished."""
    result: list[Stage] = []
    for event in issue.events:
        if not event.is_move:
            continue
        if result:
            result[-1].end = event.at
        result.append(Stage(state=event.to_state, level=event.level, start=event.at, end=None))
    if result and result[-1].state.is_terminal:
        result[-1].end = result[-1].start
    return result


def time_per_stage(issue: Issue, until: dt.datetime) -> list[tuple[IssueState, dt.timedelta]]:
    """Total time spent in each of 说/议/办/评, in workflow order."""
    totals: dict[IssueState, dt.timedelta] = defaultdict(dt.timedelta)
    for stage in stages(issue):
        if not stage.state.is_terminal:
            totals[stage.state] += stage.duration(until)
    return [(state, totals[state]) for state in OPEN_STATES if state in totals]


# --- resolved issues for the committee ----------------------------------------------------


def resolved_issues(
    actor: Any,
    *,
    area: Area | None = None,
    category: IssueCategory | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    page: int = 1,
    per_page: int = 30,
) -> tuple[list[tuple[Issue, ContributionTotals]], bool]:
    """Closed issues in the actor's report areas, newest first, with contribution totals."""
    stmt = (
        select(Issue)
        .join(Area, Area.id == Issue.area_id)
        .where(
            area_clause(Area.path, actor, Permission.view_reports),
            Issue.state == IssueState.closed,
        )
    )
    if area is not None:
        stmt = stmt.where(Area.path.startswith(area.path, autoescape=True))
    if category is not None:
        stmt = stmt.where(Issue.category == category)
    if start is not None:
        stmt = stmt.where(Issue.closed_at >= _local_start(start))
    if end is not None:
        stmt = stmt.where(Issue.closed_at < _local_start(end + dt.timedelta(days=1)))
    stmt = stmt.order_by(Issue.closed_at.desc(), Issue.id.desc())
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    totals = contribution_totals([i.id for i in rows])
    return [(i, totals.get(i.id, ContributionTotals())) for i in rows], has_next
