"""Rows about service: volunteers' hours, attendances, Party registrations, organisations,
events, venture projects and talk sessions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from points_app.events.forms import kind_label
from points_app.events.models import (
    Attendance,
    Event,
    EventKind,
    PartyRegistration,
    Project,
    ProjectMove,
)
from points_app.issues.models import TalkSession
from points_app.people.models import Organisation, Volunteer
from points_app.reports import scope
from points_app.reports.organisations import active_organisations, members_who_served
from points_app.reports.scope import CommunityMap, WorkUnit
from points_app.reports.sources.base import Column, Query, Source, hours, local_text

C = Column
COMMUNITY = C("community", _l("Community"))
PROJECT_STATUS = {
    "published": _l("Published, waiting for an organisation"),
    "claimed": _l("Running"),
    "closed": _l("Project finished"),
}


def _org_kind(kind: Any) -> str:
    from points_app.people.views.common import organisation_kind_label

    try:
        return organisation_kind_label(kind)
    except (KeyError, ValueError):  # a kind added later without a label yet
        return str(getattr(kind, "value", kind))


def _volunteers(q: Query, cm: CommunityMap) -> Select[Any]:
    stmt = (
        scope.approved_attendances(cm, q.period)
        .join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .outerjoin(WorkUnit, WorkUnit.id == Volunteer.work_unit_id)
        .add_columns(
            cm.community_name(Event.area_id),
            Volunteer.real_name,
            Volunteer.is_party_member,
            WorkUnit.name,
            func.count(Attendance.id),
            func.coalesce(func.sum(Attendance.minutes), 0),
            func.coalesce(func.sum(Attendance.points_awarded), 0),
        )
        .group_by(
            cm.c.community_id,
            cm.c.community_name,
            Volunteer.id,
            Volunteer.real_name,
            Volunteer.is_party_member,
            WorkUnit.name,
        )  # fmt: skip
        .order_by(cm.c.community_name, Volunteer.real_name, Volunteer.id)
    )
    if q.filter == "party":
        stmt = stmt.where(Volunteer.is_party_member.is_(True))
    return stmt


def _volunteer_row(row: Any, q: Query) -> tuple[Any, ...]:
    _cid, community, name, party, unit, n, minutes, points = row
    return (community, name, _l("yes") if party else "", unit or "", n, hours(minutes), points)


VOLUNTEERS = Source(
    kind="volunteers",
    title=_l("Volunteers' hours"),
    columns=(
        COMMUNITY,
        C("name", _l("Name")),
        C("party", _l("Party member")),
        C("work_unit", _l("Work unit")),
        C("attendances", _l("Attendances")),
        C("hours", _l("Hours")),
        C("points", _l("Points")),
    ),  # fmt: skip
    build=_volunteers,
    shape=_volunteer_row,
    filters=("", "party"),
)


def _attendances(q: Query, cm: CommunityMap) -> Select[Any]:
    stmt = (
        scope.approved_attendances(cm, q.period)
        .join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .outerjoin(WorkUnit, WorkUnit.id == Volunteer.work_unit_id)
        .add_columns(
            Attendance.checked_in_at,
            cm.community_name(Event.area_id),
            Event.title,
            Event.kind,
            Volunteer.real_name,
            Attendance.minutes,
            Attendance.points_awarded,
        )  # fmt: skip
        .order_by(Attendance.checked_in_at, Attendance.id)
    )
    if q.filter == "party":
        stmt = stmt.where(Volunteer.is_party_member.is_(True))
    return stmt


def _attendance_row(row: Any, q: Query) -> tuple[Any, ...]:
    _cid, when, community, title, kind, name, minutes, points = row
    kind_name = q.label(kind_label, kind)
    return (local_text(when), community, title, kind_name, name, minutes or 0, points or 0)


ATTENDANCES = Source(
    kind="attendances",
    title=_l("Attendances"),
    columns=(
        C("checked_in", _l("Checked in")),
        COMMUNITY,
        C("event", _l("Event")),
        C("kind", _l("Kind")),
        C("volunteer", _l("Volunteer")),
        C("minutes", _l("Minutes")),
        C("points", _l("Points")),
    ),  # fmt: skip
    build=_attendances,
    shape=_attendance_row,
    filters=("", "party"),
)


def _registrations(q: Query, cm: CommunityMap) -> Select[Any]:
    return (
        select(
            cm.community_name(PartyRegistration.community_id),
            Volunteer.real_name,
            WorkUnit.name,
            PartyRegistration.year,
            PartyRegistration.registered_at,
        )  # fmt: skip
        .select_from(PartyRegistration)
        .where(cm.covers(PartyRegistration.community_id))
        .join(Volunteer, Volunteer.id == PartyRegistration.volunteer_id)
        .outerjoin(WorkUnit, WorkUnit.id == Volunteer.work_unit_id)
        .where(PartyRegistration.year.in_(list(q.period.years)))
        .order_by(cm.c.community_name, PartyRegistration.year, Volunteer.real_name)
    )


REGISTRATIONS = Source(
    kind="party_registrations",
    title=_l("Party members registered"),
    columns=(
        COMMUNITY,
        C("name", _l("Name")),
        C("work_unit", _l("Work unit")),
        C("year", _l("Year")),
        C("registered", _l("Registered")),
    ),  # fmt: skip
    build=_registrations,
    shape=lambda r, q: (r[0], r[1], r[2] or "", r[3], local_text(r[4])),
)


def _organisations(q: Query, cm: CommunityMap) -> Select[Any]:
    kinds = {"teams": scope.TEAM_KINDS, "units": scope.UNIT_KINDS}.get(
        q.filter, scope.TEAM_KINDS | scope.UNIT_KINDS
    )
    active, served = members_who_served(active_organisations(cm, q.period), q.period)
    return (
        active.where(Organisation.kind.in_(kinds))
        .add_columns(
            cm.community_name(Organisation.area_id),
            Organisation.name,
            Organisation.kind,
            func.count(served.c.volunteer_id),
            func.sum(served.c.minutes),
        )  # fmt: skip
        .group_by(
            cm.c.community_id,
            cm.c.community_name,
            Organisation.id,
            Organisation.name,
            Organisation.kind,
        )  # fmt: skip
        .order_by(cm.c.community_name, Organisation.name)
    )


ORGANISATIONS = Source(
    kind="organisations",
    title=_l("Organisations active"),
    columns=(
        COMMUNITY,
        C("name", _l("Organisation")),
        C("kind", _l("Kind")),
        C("members", _l("Members who served")),
        C("hours", _l("Hours")),
    ),  # fmt: skip
    build=_organisations,
    shape=lambda r, q: (r[1], r[2], _org_kind(r[3]), r[4], hours(r[5])),
    filters=("", "teams", "units"),
)


def _events(q: Query, cm: CommunityMap) -> Select[Any]:
    stmt = (
        scope.held_events(cm, q.period)
        .add_columns(
            Event.starts_at,
            cm.community_name(Event.area_id),
            Event.kind,
            Event.title,
            Event.place,
            Event.people_served,
        )  # fmt: skip
        .order_by(Event.starts_at, Event.id)
    )
    if q.filter in {k.value for k in EventKind}:
        stmt = stmt.where(Event.kind == EventKind(q.filter))
    elif q.filter == "served":
        stmt = stmt.where(Event.people_served > 0)
    return stmt


EVENTS = Source(
    kind="events",
    title=_l("Events held"),
    columns=(
        C("starts", _l("Starts")),
        COMMUNITY,
        C("kind", _l("Kind")),
        C("title", _l("Title")),
        C("place", _l("Place")),
        C("people_served", _l("People served")),
    ),  # fmt: skip
    build=_events,
    shape=lambda r, q: (local_text(r[1]), r[2], kind_label(r[3]), r[4], r[5], r[6] or 0),
    filters=("", "served", *[k.value for k in EventKind]),
)


def _projects(q: Query, cm: CommunityMap) -> Select[Any]:
    stmt = (
        select(
            ProjectMove.at,
            cm.community_name(Project.area_id),
            Project.title,
            ProjectMove.to_status,
            Organisation.name,
            Project.budget_points,
            Project.points_spent,
        )  # fmt: skip
        .select_from(ProjectMove)
        .join(Project, Project.id == ProjectMove.project_id)
        .where(cm.covers(Project.area_id))
        .outerjoin(Organisation, Organisation.id == Project.organisation_id)
        .where(scope.between(ProjectMove.at, q.period))
        .order_by(ProjectMove.at, ProjectMove.id)
    )
    if q.filter:
        stmt = stmt.where(ProjectMove.to_status == q.filter)
    return stmt


PROJECTS = Source(
    kind="projects",
    title=_l("Venture projects"),
    columns=(
        C("at", _l("When")),
        COMMUNITY,
        C("title", _l("Title")),
        C("status", _l("Became")),
        C("organisation", _l("Organisation")),
        C("budget", _l("Budget (points)")),
        C("spent", _l("Points spent")),
    ),  # fmt: skip
    build=_projects,
    shape=lambda r, q: (
        local_text(r[0]),
        r[1],
        r[2],
        str(PROJECT_STATUS[str(getattr(r[3], "value", r[3]))]),
        r[4] or "",
        r[5],
        r[6],
    ),
    filters=("", "published", "claimed", "closed"),
)


def _sessions(q: Query, cm: CommunityMap) -> Select[Any]:
    return (
        select(
            TalkSession.held_on,
            cm.community_name(TalkSession.area_id),
            TalkSession.place,
            TalkSession.chair,
        )
        .select_from(TalkSession)
        .where(cm.covers(TalkSession.area_id))
        .where(scope.between_days(TalkSession.held_on, q.period))
        .order_by(TalkSession.held_on, TalkSession.id)
    )


SESSIONS = Source(
    kind="talk_sessions",
    title=_l("Talk sessions held"),
    columns=(
        C("held_on", _l("Held on")),
        COMMUNITY,
        C("place", _l("Place")),
        C("chair", _l("Chair")),
    ),  # fmt: skip
    build=_sessions,
    shape=lambda r, q: (r[0].isoformat(), r[1], r[2], r[3]),
)
