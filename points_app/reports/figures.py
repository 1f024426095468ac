"""The county's figures for an area and a period, in a fixed number of SQL statements.

Every statement aggregates per community (see `scope`): sums are grouped by each record's
own area and added up per community in Python, counts of distinct people by a CASE that
maps each area to its community. So the per-community table (the comparison) comes with
the totals, and a street's or the county's total is the sum of its communities. Counts of
distinct people or organisations are per community: someone who served in two
communities counts in each. Two figures are not sums: the median days
to resolve and the average satisfaction are taken over all the area's issues; with no
issues they are None ("—" on the page, null in JSON) rather than a misleading zero.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from points_app.areas.models import Area, AreaLevel
from points_app.core.clock import local_today
from points_app.core.errors import DomainError
from points_app.events.models import (
    Attendance,
    Event,
    EventKind,
    PartyRegistration,
    Project,
    ProjectMove,
)
from points_app.extensions import db
from points_app.issues.models import Issue, Mediation
from points_app.ledger.models import Account, AccountKind
from points_app.people.models import Organisation, Volunteer
from points_app.reports import rollup, scope
from points_app.reports.issue_figures import TrendMonth, issue_figures
from points_app.reports.organisations import active_organisations
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


def compute_figures(area: Area, period: Period, today: dt.date | None = None) -> Figures:
    """Every figure for the area and period (a fixed number of statements, whatever the data)."""
    check_report_area(area)
    today = today or local_today()
    cm = scope.load_map(area)
    communities = cm.communities
    counts: dict[int, Counter[str]] = {c.id: Counter() for c in communities}
    extra: dict[str, Any] = {"satisfaction": Counter()}

    def put(area_id: int, key: str, value: Any) -> None:
        # A community's id, or an area below it: statements whose figures are sums group by
        # the record's own area (no per-row CASE), and are added up per community here.
        community_id = cm.community_of(area_id)
        if community_id in counts:
            counts[community_id][key] += int(value or 0)

    _people(cm, period, put)
    _organisations(cm, period, put)
    _events_and_sessions(cm, period, put)
    trend = [TrendMonth(month=m) for m in period.months()]
    issue_charts = issue_figures(cm, period, today, put, extra, trend)
    _projects(cm, period, put)
    _points(cm, period, put)
    _store(cm, period, put)

    by_community = {cid: _finish(c) for cid, c in counts.items()}
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    totals = _finish(total)
    median = extra["median"]
    totals["median_days_to_resolve"] = None if median is None else round(median, 1)
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
        trend=_hours_by_month(cm, period, trend),
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


Put = Any  # the put(area_id, key, value) callback


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


def _organisations(cm: CommunityMap, period: Period, put: Put) -> None:
    stmt = (
        active_organisations(cm, period)
        .add_columns(Organisation.kind, func.count(Organisation.id))
        .group_by(cm.c.community_id, Organisation.kind)
    )
    for community_id, kind, n in db.session.execute(stmt):
        key = "units_active" if kind in scope.UNIT_KINDS else "volunteer_teams_active"
        put(community_id, key, n)


def _events_and_sessions(cm: CommunityMap, period: Period, put: Put) -> None:
    from points_app.issues.models import TalkSession

    stmt = (
        scope.held_events(cm, period)
        .with_only_columns(
            Event.area_id,
            Event.kind,
            func.count(Event.id),
            func.coalesce(func.sum(Event.people_served), 0),
        )
        .group_by(Event.area_id, Event.kind)
    )
    for area_id, kind, n, served in db.session.execute(stmt):
        put(area_id, "people_served", served)
        if kind == EventKind.welfare_day:
            put(area_id, "welfare_days", n)
        elif kind in scope.TALK_KINDS:
            put(area_id, "legal_talks", n)
            put(area_id, "legal_talk_attendance", served)
    sessions = (
        select(TalkSession.area_id, func.count(TalkSession.id))
        .where(cm.covers(TalkSession.area_id))
        .where(scope.between_days(TalkSession.held_on, period))
        .group_by(TalkSession.area_id)
    )
    for area_id, n in db.session.execute(sessions):
        put(area_id, "talk_sessions", n)
    mediations = (
        select(
            Issue.area_id,
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
        .group_by(Issue.area_id)
    )
    for area_id, n, settled in db.session.execute(mediations):
        put(area_id, "mediations", n)
        put(area_id, "disputes_mediated", settled)


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
    # Per account area (a community's, or a grid's below it), then summed per community.
    totals = rollup.points_in_period(period.start, period.end, cm.area_ids())
    for area_id, measures in totals.items():
        community_id = cm.community_of(area_id)
        if community_id is not None:
            for measure, points in measures.items():
                put(community_id, measure, points)


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


def _hours_by_month(cm: CommunityMap, period: Period, months: list[TrendMonth]) -> list[TrendMonth]:
    """The trend chart's volunteer hours (its issue counts come with the issue figures)."""
    when = scope.month_index(Attendance.checked_in_at, period)
    hours = (
        scope.approved_attendances(cm, period)
        .with_only_columns(when, func.coalesce(func.sum(Attendance.minutes), 0))
        .group_by(when)
    )
    for index, minutes in db.session.execute(hours):
        months[int(index)].hours = _hours(int(minutes))
    return months
