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

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    false,
    literal,
    literal_column,
    null,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.visitors import InternalTraversal

from points_app.areas.models import Area, AreaLevel
from points_app.events.models import Attendance, AttendanceStatus, Event, EventKind
from points_app.extensions import db
from points_app.issues.models import Issue, IssueState
from points_app.people.models import Organisation, OrganisationKind
from points_app.reports.period import Period

# Organisations counted as "units' Party organisations active" (单位党组织).
# A Party member's work unit (工作单位), as reports name it beside the member.
WorkUnit = aliased(Organisation, name="work_unit")
UNIT_KINDS = frozenset({OrganisationKind.resident_unit, OrganisationKind.unit})
TEAM_KINDS = frozenset({OrganisationKind.volunteer_team})
TALK_KINDS = frozenset({EventKind.legal_talk})


class CommunityMap:
    """Which community each area at or below a report area lies in, as SQL expressions.

    `community(column)` is a CASE over the record's area id giving its community's id
    (labelled `report_community`, so GROUP BY and ORDER BY can name it through `c`);
    `covers(column)` keeps the records of those areas. A CASE and an IN list of a few
    hundred ids cost far less than joining the area tree on path prefixes, and leave the
    database no join order to get wrong.

    The ids are written into the SQL as numbers (`AreaCase`, `AreaIn`), not sent as
    parameters: a county's CASE would otherwise carry some two hundred of them in each of
    a dozen statements, and its text grow past what psycopg keeps parsed, so every run of
    every statement paid for parsing and sending them again. The names stay parameters.
    """

    def __init__(self, communities: list[Area], owner: dict[int, Area]) -> None:
        self.communities = communities
        self._ids = {area_id: c.id for area_id, c in owner.items()}
        self._names = {area_id: c.name for area_id, c in owner.items()}
        self.c = _Labels()
        self._built: dict[tuple[str, Any], Any] = {}  # building a big CASE is not free

    def _case(self, what: str, column: Any) -> Any:
        key = (what, column)
        if key not in self._built:
            expr: Any
            if not self._ids:
                expr = null()
            elif what == COMMUNITY:
                expr = AreaCase(column, tuple(sorted(self._ids.items())))
            else:
                expr = case(self._names, value=column)
            self._built[key] = expr.label(what)
        return self._built[key]

    def community(self, column: Any) -> Any:
        return self._case(COMMUNITY, column)

    def community_name(self, column: Any) -> Any:
        return self._case(COMMUNITY_NAME, column)

    def community_of(self, area_id: int) -> int | None:
        """The community id of an area (None outside the map)."""
        return self._ids.get(area_id)

    def area_ids(self) -> list[int]:
        """Every area id the map covers (the communities and the areas below them)."""
        return sorted(self._ids)

    def covers(self, column: Any) -> ColumnElement[bool]:
        key = ("covers", column)
        if key not in self._built:
            ids = tuple(sorted(self._ids))
            self._built[key] = AreaIn(column, ids) if ids else false()
        return self._built[key]


COMMUNITY, COMMUNITY_NAME = "report_community", "report_community_name"


class _OverColumn(ColumnElement[Any]):
    """A construct over one column, whose table it takes its FROM from (for a select
    without `select_from`)."""

    inherit_cache = True
    column: Any

    @property
    def _from_objects(self) -> Any:
        return self.column._from_objects


class AreaCase(_OverColumn):
    """`CASE column WHEN area THEN community … END`, the ids written as digits.

    SQLAlchemy's own CASE of literal ids works too, but the statement's cache key is then
    walked through every WHEN on every run (a tenth of a county dashboard's time on
    SQLite); here the ids are one tuple in the key.
    """

    inherit_cache = True
    type = Integer()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("pairs", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, column: Any, pairs: tuple[tuple[int, int], ...]) -> None:
        self.column = column
        self.pairs = tuple((int(a), int(c)) for a, c in pairs)


class AreaIn(_OverColumn):
    """`column IN (id, …)`, the ids written as digits (see `AreaCase`)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, column: Any, ids: tuple[int, ...]) -> None:
        self.column = column
        self.ids = tuple(int(i) for i in ids)

    def self_group(self, against: Any = None) -> Any:
        # Already a condition, as `column.in_(…)` is: without this, a WHERE on a database
        # with no boolean type (SQLite) would test it as `… IN (…) = 1`.
        return self


@compiles(AreaCase)
def _compile_area_case(element: AreaCase, compiler: Any, **kw: Any) -> str:
    whens = " ".join(f"WHEN {a} THEN {c}" for a, c in element.pairs)
    return f"CASE {compiler.process(element.column, **kw)} {whens} END"


@compiles(AreaIn)
def _compile_area_in(element: AreaIn, compiler: Any, **kw: Any) -> str:
    ids = ", ".join(str(i) for i in element.ids)
    return f"{compiler.process(element.column, **kw)} IN ({ids})"


class _Labels:
    """The labelled columns by name, for GROUP BY and ORDER BY."""

    community_id: ColumnElement[Any] = literal_column(COMMUNITY)
    community_name: ColumnElement[Any] = literal_column(COMMUNITY_NAME)


def plan_for_these_values() -> None:
    """On PostgreSQL, plan each report statement for the values it is run with, for the
    rest of the transaction.

    psycopg prepares a statement on its fifth run, and from the fifth run of a prepared
    statement on PostgreSQL may keep one generic plan for any values. For the reports'
    statements (a period's slice of an index, a list of the report's areas) the generic
    plan reads far more rows: after ten county dashboards in one worker each took twice
    as long (BENCHMARKS.md, "Reports"). Planning afresh costs a millisecond or two.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def load_map(area: Area) -> CommunityMap:
    """The communities at or below an area and the community of every area below them
    (one statement). Every report starts here, so it also sets how its statements are
    planned (`plan_for_these_values`)."""
    plan_for_these_values()
    rows = list(
        db.session.scalars(
            select(Area).where(Area.path.startswith(area.path, autoescape=True)).order_by(Area.path)
        )
    )
    communities = [a for a in rows if a.level == AreaLevel.community]
    owner: dict[int, Area] = {}
    for row in rows:
        found = next((c for c in communities if row.path.startswith(c.path)), None)
        if found is not None:
            owner[row.id] = found
    return CommunityMap(communities, owner)


def community_map(area: Area) -> CommunityMap:
    """The community map of an area (see `load_map`)."""
    return load_map(area)


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
    moment_of = AsStored(column)
    whens = [(moment_of < moment, index) for index, moment in enumerate(boundaries)]
    return case(*whens, else_=len(boundaries))


class AsStored(_OverColumn):
    """A column compared as the value it stores: on SQLite `+column`, elsewhere the column.

    SQLite keeps a moment as text in a column of numeric affinity, and so tries to read
    the other side of every comparison with it as a number first; a CASE of a dozen month
    boundaries over a year's attendances did that a dozen times a row. `+` takes the
    affinity away, and text is compared with text. Not for a WHERE an index should serve:
    SQLite uses no index for `+column`.
    """

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(AsStored)
def _compile_as_stored(element: AsStored, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(AsStored, "sqlite")
def _compile_as_stored_sqlite(element: AsStored, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def approved_attendances(cm: CommunityMap, period: Period) -> Select[Any]:
    """Approved attendances checked in during the period, joined to their event and community.

    Select the columns with `.with_only_columns(...)` or `.add_columns(...)`.
    """
    return (
        select(cm.community(Event.area_id))
        .select_from(Attendance)
        .join(Event, Event.id == Attendance.event_id)
        .where(cm.covers(Event.area_id))
        .where(
            Attendance.status == AttendanceStatus.approved,
            between(Attendance.checked_in_at, period),
        )
    )


def held_events(cm: CommunityMap, period: Period) -> Select[Any]:
    """Events (not cancelled) that started during the period, with their community."""
    return (
        select(cm.community(Event.area_id))
        .select_from(Event)
        .where(cm.covers(Event.area_id))
        .where(Event.is_cancelled.is_(False), between(Event.starts_at, period))
    )


def raised_issues(cm: CommunityMap, period: Period) -> Select[Any]:
    """Issues recorded during the period, with their community."""
    return (
        select(cm.community(Issue.area_id))
        .select_from(Issue)
        .where(cm.covers(Issue.area_id))
        .where(between(Issue.created_at, period))
    )


def resolved_issues(cm: CommunityMap, period: Period) -> Select[Any]:
    """Issues closed (solved and accepted by the resident) during the period."""
    return (
        select(cm.community(Issue.area_id))
        .select_from(Issue)
        .where(cm.covers(Issue.area_id))
        .where(Issue.state == IssueState.closed, between(Issue.closed_at, period))
    )


def overdue_issues(cm: CommunityMap, period: Period, today: Any) -> Select[Any]:
    """Issues recorded by the period's end that are being handled past their deadline now."""
    return (
        select(cm.community(Issue.area_id))
        .select_from(Issue)
        .where(cm.covers(Issue.area_id))
        .where(
            Issue.state == IssueState.handling,
            Issue.due_on < today,
            Issue.created_at < period.utc_end,
        )
    )
