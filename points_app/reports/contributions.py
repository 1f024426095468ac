"""Contributions across issues, the committee's "who solved what": for an area and period,
everyone who served the issues resolved in it, with hours, points and the issues.

The rule is the per-issue review's (`points_app.issues.contributions`): only approved
attendance at events linked to the issue counts; an organisation is credited with its
members' service and with all service at the events of a venture project it runs, each
attendance once. Three statements, whatever the data: the attendances, the members'
organisations, and the resolved issues themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from points_app.areas.models import Area
from points_app.events.models import Attendance, AttendanceStatus, Event, EventIssue, Project
from points_app.extensions import db
from points_app.issues.contributions import Contributor
from points_app.issues.models import Issue
from points_app.people.models import Membership, Organisation, Volunteer
from points_app.reports import scope
from points_app.reports.period import Period
from points_app.reports.scope import WorkUnit

NO_UNIT = ""


@dataclass
class Served:
    """A contributor across issues: hours and points, and which resolved issues."""

    contributor: Contributor
    issues: dict[int, str] = field(default_factory=dict)  # id → title
    minutes: int = 0
    attendance_ids: set[int] = field(default_factory=set)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class ResolvedIssue:
    """A resolved issue of the period and who served it."""

    id: int
    title: str
    community: str
    contributors: list[str] = field(default_factory=list)


@dataclass
class AcrossIssues:
    """Everyone who served the area's issues resolved in the period."""

    volunteers: list[Served] = field(default_factory=list)
    party_by_unit: dict[str, list[Served]] = field(default_factory=dict)
    organisations: list[Served] = field(default_factory=list)
    issues: list[ResolvedIssue] = field(default_factory=list)

    def everyone(self) -> list[Served]:
        party = [s for group in self.party_by_unit.values() for s in group]
        return self.volunteers + party + self.organisations


def _credit(served: Served, attendance_id: int, minutes: int, points: int, issue: tuple) -> None:
    served.issues[issue[0]] = issue[1]
    if attendance_id not in served.attendance_ids:
        served.attendance_ids.add(attendance_id)
        served.minutes += minutes
        served.contributor.points += points


def _sorted(rows: list[Served]) -> list[Served]:
    return sorted(rows, key=lambda s: (-s.contributor.points, -s.minutes, s.contributor.name))


def contributions_across(area: Area, period: Period) -> AcrossIssues:
    """Every contributor to the area's issues resolved in the period (fixed statements)."""
    cm = scope.community_map(area)
    resolved = scope.resolved_issues(cm, period)
    issue_rows = db.session.execute(
        resolved.add_columns(Issue.id, Issue.title, cm.community_name(Issue.area_id)).order_by(
            Issue.closed_at.desc(), Issue.id.desc()
        )
    ).all()
    ids = resolved.with_only_columns(Issue.id).scalar_subquery()
    served_stmt = (
        select(
            Attendance.id,
            Attendance.volunteer_id,
            Volunteer.real_name,
            Volunteer.is_party_member,
            WorkUnit.name,
            Attendance.minutes,
            Attendance.points_awarded,
            EventIssue.issue_id,
            Project.organisation_id,
        )  # fmt: skip
        .select_from(EventIssue)
        .join(Event, Event.id == EventIssue.event_id)
        .join(Attendance, Attendance.event_id == Event.id)
        .join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .outerjoin(WorkUnit, WorkUnit.id == Volunteer.work_unit_id)
        .outerjoin(Project, Project.id == Event.project_id)
        .where(
            EventIssue.issue_id.in_(ids),
            Event.is_cancelled.is_(False),
            Attendance.status == AttendanceStatus.approved,
        )
        .order_by(Attendance.id)
    )
    attendances = db.session.execute(served_stmt).all()
    volunteer_ids = {row[1] for row in attendances}
    project_orgs = {row[8] for row in attendances if row[8] is not None}
    members: dict[int, list[int]] = defaultdict(list)
    org_names: dict[int, str] = {}
    if volunteer_ids or project_orgs:
        served_volunteers = served_stmt.with_only_columns(Attendance.volunteer_id).order_by(None)
        served_projects = served_stmt.with_only_columns(Project.organisation_id).order_by(None)
        org_stmt = (
            select(Organisation.id, Organisation.name, Membership.volunteer_id)
            .select_from(Organisation)
            .outerjoin(Membership, Membership.organisation_id == Organisation.id)
            .where(
                Membership.volunteer_id.in_(served_volunteers.scalar_subquery())
                | Organisation.id.in_(served_projects.scalar_subquery())
            )
        )
        for org_id, name, volunteer_id in db.session.execute(org_stmt):
            org_names[org_id] = name
            if volunteer_id in volunteer_ids:
                members[volunteer_id].append(org_id)

    titles = {row[1]: row[2] for row in issue_rows}
    people: dict[int, Served] = {}
    orgs: dict[int, Served] = {}
    names_per_issue: dict[int, set[str]] = defaultdict(set)
    for att_id, vol_id, name, is_party, unit, minutes, points, issue_id, project_org in attendances:
        issue = (issue_id, titles.get(issue_id, ""))
        person = people.get(vol_id)
        if person is None:
            member_of = "、".join(sorted(org_names[o] for o in members[vol_id]))
            person = people[vol_id] = Served(
                Contributor(
                    name=name, kind="party_member" if is_party else "volunteer",
                    organisation=(unit or NO_UNIT) if is_party else member_of,
                )
            )  # fmt: skip
        _credit(person, att_id, minutes or 0, points or 0, issue)
        names_per_issue[issue_id].add(name)
        credited = set(members[vol_id]) | ({project_org} if project_org else set())
        for org_id in credited:
            org = orgs.get(org_id)
            if org is None:
                org = orgs[org_id] = Served(
                    Contributor(name=org_names[org_id], kind="organisation")
                )
            _credit(org, att_id, minutes or 0, points or 0, issue)
            names_per_issue[issue_id].add(org_names[org_id])

    result = AcrossIssues()
    by_unit: dict[str, list[Served]] = defaultdict(list)
    for served in people.values():
        served.contributor.hours = served.hours
        if served.contributor.kind == "party_member":
            by_unit[served.contributor.organisation].append(served)
        else:
            result.volunteers.append(served)
    for served in orgs.values():
        served.contributor.hours = served.hours
    result.volunteers = _sorted(result.volunteers)
    result.party_by_unit = {unit: _sorted(by_unit[unit]) for unit in sorted(by_unit)}
    result.organisations = _sorted(list(orgs.values()))
    result.issues = [
        ResolvedIssue(id=i, title=t, community=c, contributors=sorted(names_per_issue[i]))
        for _cid, i, t, c in issue_rows
    ]
    return result


def contribution_rows(area: Area, period: Period) -> list[tuple[Any, ...]]:
    """One row per contributor for the export: kind, name, unit or organisations, hours,
    points and the issues (held per contributor, not per attendance)."""
    found = contributions_across(area, period)
    return [
        (
            s.contributor.kind,
            s.contributor.name,
            s.contributor.organisation,
            s.hours,
            s.contributor.points,
            "; ".join(f"#{i} {t}" for i, t in sorted(s.issues.items())),
        )  # fmt: skip
        for s in found.everyone()
    ]
