"""Venture project services (创投项目): publish, claim, close; budget and people served.

They take the acting user explicitly, flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.events.models import (
    Attendance,
    AttendanceStatus,
    Event,
    Project,
    ProjectMove,
    ProjectStatus,
)
from points_app.extensions import db
from points_app.people.models import Organisation, OrganisationKind

S = ProjectStatus
ALLOWED_MOVES: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    S.published: frozenset({S.claimed, S.closed}),
    S.claimed: frozenset({S.closed}),
    S.closed: frozenset(),
}


def publish_project(
    *, title: str, area: Area, budget_points: int, description: str = "", actor: Any
) -> Project:
    """Publish a venture project in a street or community, with a budget of points."""
    if area.level not in (AreaLevel.street, AreaLevel.community):
        raise DomainError(
            "validation_error", _l("A project is published by a street or a community."), 422
        )
    if not title.strip():
        raise DomainError("validation_error", _l("Give the project a title."), 422)
    if budget_points <= 0:
        raise DomainError("validation_error", _l("The budget must be above zero."), 422)
    project = Project(
        title=title.strip(),
        description=description.strip(),
        area=area,
        budget_points=budget_points,
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectMove(project_id=project.id, to_status=S.published, actor_id=_id(actor)))
    record(actor, "project.publish", "project", project.id)
    db.session.flush()
    return project


def transition_project(
    project: Project,
    to: ProjectStatus,
    *,
    actor: Any,
    organisation: Organisation | None = None,
    note: str = "",
) -> Project:
    """Move a project along its workflow; claiming names the social organisation."""
    if to not in ALLOWED_MOVES[project.status]:
        raise DomainError(
            "invalid_transition",
            _l("This project is already %(status)s.", status=project.status.value),
            409,
        )
    if to is S.claimed:
        if organisation is None or organisation.kind is not OrganisationKind.social_organisation:
            raise DomainError(
                "validation_error", _l("A project is claimed by a social organisation."), 422
            )
        project.organisation = organisation
    db.session.add(
        ProjectMove(
            project_id=project.id,
            from_status=project.status,
            to_status=to,
            actor_id=_id(actor),
            note=note.strip()[:500],
        )
    )
    project.status = to
    record(actor, f"project.{to.value}", "project", project.id)
    db.session.flush()
    return project


def claim_project(project: Project, organisation: Organisation, *, actor: Any) -> Project:
    """Let a social organisation take on a published project."""
    return transition_project(project, S.claimed, actor=actor, organisation=organisation)


def close_project(project: Project, *, actor: Any, note: str = "") -> Project:
    """Close a project: no more events or awards."""
    return transition_project(project, S.closed, actor=actor, note=note)


@dataclass
class ProjectFigures:
    """A project's events, hours and people served, and its budget use."""

    events: int
    minutes: int
    people_served: int
    points_spent: int
    points_left: int


def project_figures(project: Project) -> ProjectFigures:
    """Sum up a project's events."""
    events, served = db.session.execute(
        select(func.count(Event.id), func.coalesce(func.sum(Event.people_served), 0)).where(
            Event.project_id == project.id
        )
    ).one()
    minutes = db.session.scalar(
        select(func.coalesce(func.sum(Attendance.minutes), 0))
        .join(Event, Event.id == Attendance.event_id)
        .where(Event.project_id == project.id, Attendance.status == AttendanceStatus.approved)
    )
    return ProjectFigures(
        events=int(events),
        minutes=int(minutes or 0),
        people_served=int(served),
        points_spent=project.points_spent,
        points_left=project.points_left,
    )


def _id(actor: Any) -> int | None:
    return getattr(actor, "id", None) if getattr(actor, "is_authenticated", True) else None
