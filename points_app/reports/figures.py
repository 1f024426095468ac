"""The county's figures for an area and a period, in a fixed number of SQL statements.

Every statement aggregates grouped by community (see `scope`), so the per-community table
(the comparison) comes with the totals, and a street's or the county's total is the sum of
its communities. Counts of distinct people or organisations are per community: someone
who served in two communities counts in each. Two figures are not sums: the median days
to resolve and the average satisfaction are taken over all the area's issues; with no
issues they are None ("—" on the page, null in JSON) rather than a misleading zero.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, null, or_, select, union_all
from sqlalchemy.orm import aliased

from points_app.areas.models import Area, AreaLevel
from points_app.core.clock import local_today
from points_app.core.errors import DomainError
from points_app.events.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    PartyRegistration,
    Project,
    ProjectMove,
)
from points_app.extensions import db
from points_app.issues.models import Issue, IssueCategory, IssueEvaluation, Mediation
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.people.models import Membership, Organisation, Volunteer
from points_app.reports import scope
from points_app.reports.period import Period
from points_app.reports.scope import CommunityMap
from points_app.store.models import Product, Redemption, RedemptionStatus, Store

REPORT_LEVELS = (AreaLevel.county, AreaLevel.street, AreaLevel.community)

# The figures in the order the page, the CLI and the exports list them.
FIGURES: tuple[str, ...] = (
    "party_members_registered",
    "party_members_reporting",
    "volunteer_teams_active",
    "units_active",
    "talk_sessions",
    "issues_raised",
    "issues_resolved",
    "issues_overdue",
    "median_days_to_resolve",
    "average_satisfaction",
    "disputes_mediated",
    "mediations",
    "legal_talks",
    "legal_talk_attendance",
    "legal_problems_solved",
    "venture_projects_published",
    "venture_projects_claimed",
    "venture_projects_closed",
    "welfare_days",
    "people_served",
    "volunteers_active",
    "volunteer_hours",
    "points_issued",
    "points_given",
    "points_redeemed",
    "households_served",
    "stock_value",
)
NOT_SUMMED = frozenset({"median_days_to_resolve", "average_satisfaction", "volunteer_hours"})
NO_LEVEL = "none"


@dataclass
class TrendMonth:
    """One local month of the trend chart."""

    month: dt.date
    hours: float = 0.0
    raised: int = 0
    resolved: int = 0


@dataclass
class Figures:
    """Every figure for an area and period: per community, totals, and chart series."""

    area: Area
    period: Period
    communities: list[Area]
    by_community: dict[int, dict[str, Any]]
    totals: dict[str, Any]
    trend: list[TrendMonth] = field(default_factory=list)
    by_category: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)

    def totals_row(self) -> list[Any]:
        """The totals in FIGURES order."""
        return [self.totals[key] for key in FIGURES]

    def as_json(self) -> dict[str, Any]:
        """One object: the area, the period and a key per figure."""
        return {
            "area": self.area.code,
            "area_name": self.area.name,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            **{key: self.totals[key] for key in FIGURES},
        }


def check_report_area(area: Area) -> Area:
    """Reports are for a community, a street or the county."""
    if area.level not in REPORT_LEVELS:
        raise DomainError(
            "bad_area", f"{area.code} is a {area.level.value}; choose a community or above.", 422
        )
    return area


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def _days(start: Any, end: Any) -> Any:
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def compute_figures(area: Area, period: Period, today: dt.date | None = None) -> Figures:
    """Every figure for the area and period (a fixed number of statements, whatever the data)."""
    check_report_area(area)
    today = today or local_today()
    cm = scope.load_map(area)
    communities = cm.communities
    counts: dict[int, Counter[str]] = {c.id: Counter() for c in communities}
    extra: dict[str, Any] = {"durations": [], "satisfaction": Counter()}

    def put(community_id: int, key: str, value: Any) -> None:
        if community_id in counts:
            counts[community_id][key] += int(value or 0)

    _people(cm, period, put)
    _organisations(cm, period, put)
    _events_and_sessions(cm, period, put)
    issue_charts = _issues(cm, period, today, put, extra)
    _projects(cm, period, put)
    _points(cm, period, put)
    _store(cm, period, put)

    by_community = {cid: _finish(c) for cid, c in counts.items()}
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    totals = _finish(total)
    totals["median_days_to_resolve"] = (
        round(statistics.median(extra["durations"]), 1) if extra["durations"] else None
    )
    sat = extra["satisfaction"]
    totals["average_satisfaction"] = round(sat["sum"] / sat["n"], 2) if sat["n"] else None
    for cid, rows in extra["per_community"].items():
        if cid in by_community:
            by_community[cid].update(rows)
    return Figures(
        area=area,
        period=period,
        communities=communities,
        by_community=by_community,
        totals=totals,
        trend=_trend(cm, period),
        by_category=issue_charts[0],
        by_level=issue_charts[1],
    )


def _finish(counter: Counter[str]) -> dict[str, Any]:
    result: dict[str, Any] = {key: int(counter.get(key, 0)) for key in FIGURES}
    result["volunteer_minutes"] = int(counter.get("volunteer_minutes", 0))
    result["volunteer_hours"] = _hours(result["volunteer_minutes"])
    result["median_days_to_resolve"] = None
    result["average_satisfaction"] = None
    return result


Put = Any  # the put(community_id, key, value) callback


def _people(cm: CommunityMap, period: Period, put: Put) -> None:
    stmt = (
        scope.approved_attendances(cm, period)
        .join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .add_columns(
            func.count(func.distinct(Attendance.volunteer_id)),
            func.count(
                func.distinct(case((Volunteer.is_party_member.is_(True), Attendance.volunteer_id)))
            ),
            func.coalesce(func.sum(Attendance.minutes), 0),
        )
        .group_by(cm.c.community_id)
    )
    for community_id, active, party, minutes in db.session.execute(stmt):
        put(community_id, "volunteers_active", active)
        put(community_id, "party_members_reporting", party)
        put(community_id, "volunteer_minutes", minutes)
    registered = (
        select(
            cm.community(PartyRegistration.community_id),
            func.count(func.distinct(PartyRegistration.volunteer_id)),
        )
        .select_from(PartyRegistration)
        .where(cm.covers(PartyRegistration.community_id))
        .where(PartyRegistration.year.in_(list(period.years)))
        .group_by(cm.c.community_id)
    )
    for community_id, n in db.session.execute(registered):
        put(community_id, "party_members_registered", n)


def _members() -> Any:
    """Who belongs to which organisation: its members, and the Party members it employs."""
    return union_all(
        select(Membership.organisation_id, Membership.volunteer_id),
        select(
            Volunteer.work_unit_id.label("organisation_id"), Volunteer.id.label("volunteer_id")
        ).where(Volunteer.work_unit_id.is_not(None)),
    ).subquery("members")


def active_organisations(cm: CommunityMap, period: Period) -> Any:
    """Organisations with a member whose attendance (anywhere) in the period was approved."""
    members = _members()
    return (
        select(cm.community(Organisation.area_id))
        .select_from(Organisation)
        .where(cm.covers(Organisation.area_id))
        .join(members, members.c.organisation_id == Organisation.id)
        .join(Attendance, Attendance.volunteer_id == members.c.volunteer_id)
        .where(
            Attendance.status == AttendanceStatus.approved,
            scope.between(Attendance.checked_in_at, period),
            Organisation.kind.in_(scope.TEAM_KINDS | scope.UNIT_KINDS),
        )
    )


def _organisations(cm: CommunityMap, period: Period, put: Put) -> None:
    stmt = (
        active_organisations(cm, period)
        .add_columns(Organisation.kind, func.count(func.distinct(Organisation.id)))
        .group_by(cm.c.community_id, Organisation.kind)
    )
    for community_id, kind, n in db.session.execute(stmt):
        key = "units_active" if kind in scope.UNIT_KINDS else "volunteer_teams_active"
        put(community_id, key, n)


def _events_and_sessions(cm: CommunityMap, period: Period, put: Put) -> None:
    from points_app.issues.models import TalkSession

    stmt = (
        scope.held_events(cm, period)
        .add_columns(
            Event.kind, func.count(Event.id), func.coalesce(func.sum(Event.people_served), 0)
        )
        .group_by(cm.c.community_id, Event.kind)
    )
    for community_id, kind, n, served in db.session.execute(stmt):
        put(community_id, "people_served", served)
        if kind == EventKind.welfare_day:
            put(community_id, "welfare_days", n)
        elif kind in scope.TALK_KINDS:
            put(community_id, "legal_talks", n)
            put(community_id, "legal_talk_attendance", served)
    sessions = (
        select(cm.community(TalkSession.area_id), func.count(TalkSession.id))
        .select_from(TalkSession)
        .where(cm.covers(TalkSession.area_id))
        .where(scope.between_days(TalkSession.held_on, period))
        .group_by(cm.c.community_id)
    )
    for community_id, n in db.session.execute(sessions):
        put(community_id, "talk_sessions", n)
    mediations = (
        select(
            cm.community(Issue.area_id),
            func.count(Mediation.id),
            func.count(
                func.distinct(
                    case(
                        (
                            Mediation.outcome.in_(["mediated", "agreement_signed"]),
                            Mediation.issue_id,
                        )
                    )
                )
            ),
        )
        .select_from(Mediation)
        .join(Issue, Issue.id == Mediation.issue_id)
        .where(cm.covers(Issue.area_id))
        .where(scope.between_days(Mediation.mediated_on, period))
        .group_by(cm.c.community_id)
    )
    for community_id, n, settled in db.session.execute(mediations):
        put(community_id, "mediations", n)
        put(community_id, "disputes_mediated", settled)


def _issues(
    cm: CommunityMap, period: Period, today: dt.date, put: Put, extra: dict[str, Any]
) -> tuple[dict[str, int], dict[str, int]]:
    by_category: Counter[str] = Counter()
    by_level: Counter[str] = Counter()
    raised = (
        scope.raised_issues(cm, period)
        .add_columns(Issue.category, Issue.level, func.count(Issue.id))
        .group_by(cm.c.community_id, Issue.category, Issue.level)
    )
    for community_id, category, level, n in db.session.execute(raised):
        put(community_id, "issues_raised", n)
        by_category[str(getattr(category, "value", category))] += int(n)
        by_level[str(getattr(level, "value", level)) if level else NO_LEVEL] += int(n)
    resolved = scope.resolved_issues(cm, period).add_columns(
        Issue.category, _days(Issue.created_at, Issue.closed_at)
    )
    per_days: dict[int, list[float]] = {}
    for community_id, category, days in db.session.execute(resolved):
        put(community_id, "issues_resolved", 1)
        if category == IssueCategory.legal:
            put(community_id, "legal_problems_solved", 1)
        extra["durations"].append(float(days))
        per_days.setdefault(community_id, []).append(float(days))
    overdue = (
        scope.overdue_issues(cm, period, today)
        .add_columns(func.count(Issue.id))
        .group_by(cm.c.community_id)
    )
    for community_id, n in db.session.execute(overdue):
        put(community_id, "issues_overdue", n)
    rated = (
        select(
            cm.community(Issue.area_id),
            func.coalesce(func.sum(IssueEvaluation.satisfaction), 0),
            func.count(IssueEvaluation.id),
        )
        .select_from(IssueEvaluation)
        .join(Issue, Issue.id == IssueEvaluation.issue_id)
        .where(cm.covers(Issue.area_id))
        .where(scope.between(IssueEvaluation.at, period))
        .group_by(cm.c.community_id)
    )
    per: dict[int, dict[str, Any]] = {
        cid: {"median_days_to_resolve": round(statistics.median(days), 1)}
        for cid, days in per_days.items()
    }
    for community_id, total, n in db.session.execute(rated):
        extra["satisfaction"]["sum"] += int(total)
        extra["satisfaction"]["n"] += int(n)
        if n:
            per.setdefault(community_id, {})["average_satisfaction"] = round(int(total) / n, 2)
    extra["per_community"] = per
    return dict(by_category), dict(by_level)


def _projects(cm: CommunityMap, period: Period, put: Put) -> None:
    stmt = (
        select(
            cm.community(Project.area_id),
            ProjectMove.to_status,
            func.count(func.distinct(Project.id)),
        )
        .select_from(ProjectMove)
        .join(Project, Project.id == ProjectMove.project_id)
        .where(cm.covers(Project.area_id))
        .where(scope.between(ProjectMove.at, period))
        .group_by(cm.c.community_id, ProjectMove.to_status)
    )
    for community_id, status, n in db.session.execute(stmt):
        put(community_id, f"venture_projects_{getattr(status, 'value', status)}", n)


def transfer_flows() -> tuple[Any, Any, Any]:
    """The debit and credit accounts (aliased) and the community-side area of a transfer:
    the system account's area when one side is a system account, else the payee's."""
    debit, credit = aliased(Account, name="debit"), aliased(Account, name="credit")
    system = [AccountKind.issuance, AccountKind.store_sink, AccountKind.expiry]
    area_id = case((debit.kind.in_(system), debit.area_id), else_=credit.area_id)
    return debit, credit, area_id


def _points(cm: CommunityMap, period: Period, put: Put) -> None:
    # Two statements that read the transfers' covering index (created_at, kind, accounts,
    # amount) and test accounts against small id sets instead of joining every transfer.
    issuance = {
        account_id: community_id
        for account_id, area_id in db.session.execute(
            select(Account.id, Account.area_id).where(
                Account.kind == AccountKind.issuance, cm.covers(Account.area_id)
            )
        )
        if (community_id := cm.community_of(area_id)) is not None
    }
    # Always run (even with no accounts), so the statement count never depends on the data.
    # `+ 0`: test the ids, don't search by them. The index on the accounts would fetch every
    # transfer of all time of each issuance account; the period's slice of the covering
    # index on created_at is far smaller.
    accounts = list(issuance)
    debit_id, credit_id = Transfer.debit_account_id + 0, Transfer.credit_account_id + 0
    issued = debit_id.in_(accounts)
    unissued = and_(credit_id.in_(accounts), Transfer.kind == TransferKind.reverse)
    community = func.coalesce(
        case(issuance, value=Transfer.debit_account_id) if issuance else null(),
        case(issuance, value=Transfer.credit_account_id) if issuance else null(),
    ).label(scope.COMMUNITY)
    stmt = (
        select(
            community,
            func.coalesce(func.sum(case((issued, Transfer.amount), else_=0)), 0),
            func.coalesce(func.sum(case((unissued, Transfer.amount), else_=0)), 0),
        )
        .where(scope.between(Transfer.created_at, period), or_(issued, unissued))
        .group_by(cm.c.community_id)
    )
    for community_id, out, back in db.session.execute(stmt):
        put(community_id, "points_issued", int(out) - int(back))
    households = select(Account.id).where(
        Account.kind == AccountKind.household, cm.covers(Account.area_id)
    )
    credit = aliased(Account, name="credit")
    given = (
        select(cm.community(credit.area_id), func.coalesce(func.sum(Transfer.amount), 0))
        .select_from(Transfer)
        .join(credit, credit.id == Transfer.credit_account_id)
        .where(
            scope.between(Transfer.created_at, period),
            Transfer.kind.in_([TransferKind.give, TransferKind.earn]),
            (Transfer.credit_account_id + 0).in_(households.scalar_subquery()),
        )
        .group_by(cm.c.community_id)
    )
    for community_id, to_households in db.session.execute(given):
        put(community_id, "points_given", to_households)


def _store(cm: CommunityMap, period: Period, put: Put) -> None:
    stmt = (
        select(
            cm.community(Store.community_id),
            func.count(func.distinct(Redemption.household_id)),
            func.coalesce(func.sum(Redemption.total_points), 0),
        )
        .select_from(Redemption)
        .join(Store, Store.id == Redemption.store_id)
        .where(cm.covers(Store.community_id))
        .where(
            Redemption.status == RedemptionStatus.completed,
            scope.between(Redemption.created_at, period),
        )
        .group_by(cm.c.community_id)
    )
    for community_id, households, points in db.session.execute(stmt):
        put(community_id, "households_served", households)
        put(community_id, "points_redeemed", points)
    stock = (
        select(
            cm.community(Store.community_id),
            func.coalesce(func.sum(Product.stock * Product.points_price), 0),
        )
        .select_from(Product)
        .join(Store, Store.id == Product.store_id)
        .where(cm.covers(Store.community_id))
        .where(Product.is_active.is_(True), Store.is_active.is_(True))
        .group_by(cm.c.community_id)
    )
    for community_id, value in db.session.execute(stock):
        put(community_id, "stock_value", value)


def _trend(cm: CommunityMap, period: Period) -> list[TrendMonth]:
    months = [TrendMonth(month=m) for m in period.months()]
    when = scope.month_index(Attendance.checked_in_at, period)
    hours = (
        scope.approved_attendances(cm, period)
        .with_only_columns(when, func.coalesce(func.sum(Attendance.minutes), 0))
        .group_by(when)
    )
    for index, minutes in db.session.execute(hours):
        months[int(index)].hours = _hours(int(minutes))
    raised_when = scope.month_index(Issue.created_at, period)
    raised = (
        scope.raised_issues(cm, period)
        .with_only_columns(raised_when, func.count(Issue.id))
        .group_by(raised_when)
    )
    for index, n in db.session.execute(raised):
        months[int(index)].raised = int(n)
    closed_when = scope.month_index(Issue.closed_at, period)
    resolved = (
        scope.resolved_issues(cm, period)
        .with_only_columns(closed_when, func.count(Issue.id))
        .group_by(closed_when)
    )
    for index, n in db.session.execute(resolved):
        months[int(index)].resolved = int(n)
    return months
