"""Who served a residents' issue: the events linked to it, their people and organisations.

Reads the events feature's tables (event_issues, events, attendances); only approved
attendance counts, with the minutes and points stored on it when it was approved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select

from points_app.events.models import Attendance, AttendanceStatus, Event, EventIssue
from points_app.extensions import db
from points_app.issues.models import Issue
from points_app.people.models import Membership, Organisation


@dataclass
class Contributor:
    """A person or an organisation that served an issue, with hours and points."""

    name: str
    kind: str  # "person" or "organisation"
    organisation: str = ""
    hours: float = 0.0
    points: int = 0


@dataclass
class Contributions:
    """Who served an issue through events, and the totals."""

    events: list[Event] = field(default_factory=list)
    people: list[Contributor] = field(default_factory=list)
    organisations: list[Contributor] = field(default_factory=list)
    minutes: int = 0
    points: int = 0

    @property
    def hours(self) -> float:
        return _hours(self.minutes)


@dataclass(frozen=True)
class ContributionTotals:
    """Counts and sums of contributions to one issue, for lists."""

    events: int = 0
    people: int = 0
    hours: float = 0.0
    points: int = 0


def _linked_events(issue_ids: list[int]) -> Select[tuple[int, Event]]:
    return (
        select(EventIssue.issue_id, Event)
        .join(Event, Event.id == EventIssue.event_id)
        .where(EventIssue.issue_id.in_(issue_ids), Event.is_cancelled.is_(False))
    )


def _approved_attendances(event_ids: list[int]) -> list[Attendance]:
    stmt = (
        select(Attendance)
        .where(Attendance.event_id.in_(event_ids), Attendance.status == AttendanceStatus.approved)
        .order_by(Attendance.id)
    )
    return list(db.session.scalars(stmt))


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def contributions(issue: Issue) -> Contributions:
    """The events linked to an issue and who served in them: people and organisations.

    Only approved attendance counts. A person's organisations are those they belong to;
    an organisation is credited with its members' service and with all service at the
    events of a venture project it runs (each attendance once per organisation).
    """
    events = [
        event for _id, event in db.session.execute(
            _linked_events([issue.id]).order_by(Event.starts_at, Event.id)
        )
    ]  # fmt: skip
    result = Contributions(events=events)
    if not events:
        return result
    attendances = _approved_attendances([e.id for e in events])
    volunteer_ids = sorted({a.volunteer_id for a in attendances})
    memberships: dict[int, list[Organisation]] = defaultdict(list)
    if volunteer_ids:
        rows = db.session.execute(
            select(Membership.volunteer_id, Organisation)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.volunteer_id.in_(volunteer_ids))
            .order_by(Organisation.name)
        )
        for volunteer_id, organisation in rows:
            memberships[volunteer_id].append(organisation)

    people: dict[int, Contributor] = {}
    minutes: dict[int, int] = defaultdict(int)
    org_rows: dict[int, tuple[Organisation, set[int]]] = {}
    for attendance in attendances:
        volunteer = attendance.volunteer
        person = people.get(volunteer.id)
        if person is None:
            names = "、".join(o.name for o in memberships[volunteer.id])
            person = people[volunteer.id] = Contributor(
                name=volunteer.real_name, kind="person", organisation=names
            )
        minutes[volunteer.id] += attendance.minutes or 0
        person.points += attendance.points_awarded or 0
        credited = list(memberships[volunteer.id])
        project = attendance.event.project
        if project is not None and project.organisation is not None:
            credited.append(project.organisation)
        for organisation in credited:
            org_rows.setdefault(organisation.id, (organisation, set()))[1].add(attendance.id)
    for volunteer_id, person in people.items():
        person.hours = _hours(minutes[volunteer_id])
    result.minutes = sum(minutes.values())
    result.points = sum(a.points_awarded or 0 for a in attendances)
    result.people = sorted(people.values(), key=lambda p: (-p.points, -p.hours, p.name))

    by_id = {a.id: a for a in attendances}
    for organisation, attendance_ids in org_rows.values():
        served = [by_id[i] for i in attendance_ids]
        result.organisations.append(
            Contributor(
                name=organisation.name,
                kind="organisation",
                hours=_hours(sum(a.minutes or 0 for a in served)),
                points=sum(a.points_awarded or 0 for a in served),
            )
        )
    result.organisations.sort(key=lambda o: (-o.points, -o.hours, o.name))
    return result


def contribution_totals(issue_ids: list[int]) -> dict[int, ContributionTotals]:
    """Contribution totals per issue id (issues with no linked event are left out)."""
    if not issue_ids:
        return {}
    events = (
        select(EventIssue.issue_id, func.count(Event.id))
        .join(Event, Event.id == EventIssue.event_id)
        .where(EventIssue.issue_id.in_(issue_ids), Event.is_cancelled.is_(False))
        .group_by(EventIssue.issue_id)
    )
    served = (
        select(
            EventIssue.issue_id,
            func.count(func.distinct(Attendance.volunteer_id)),
            func.coalesce(func.sum(Attendance.minutes), 0),
            func.coalesce(func.sum(Attendance.points_awarded), 0),
        )
        .join(Event, Event.id == EventIssue.event_id)
        .join(Attendance, Attendance.event_id == Event.id)
        .where(
            EventIssue.issue_id.in_(issue_ids),
            Event.is_cancelled.is_(False),
            Attendance.status == AttendanceStatus.approved,
        )
        .group_by(EventIssue.issue_id)
    )
    sums = {row[0]: row[1:] for row in db.session.execute(served)}
    totals = {}
    for issue_id, event_count in db.session.execute(events):
        people, minutes, points = sums.get(issue_id, (0, 0, 0))
        totals[issue_id] = ContributionTotals(
            events=int(event_count),
            people=int(people),
            hours=_hours(int(minutes)),
            points=int(points),
        )
    return totals
