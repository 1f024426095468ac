"""Events: creating and editing them, their linked issues and people served."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.areas.models import Area
from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.events.models import (
    Event,
    EventIssue,
    EventKind,
    PointsRule,
    Project,
    ProjectStatus,
)
from points_app.extensions import db


@dataclass
class EventData:
    """What an organiser fills in for an event."""

    title: str
    kind: EventKind
    area: Area
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = ""
    description: str = ""
    capacity: int | None = None
    signup_required: bool = False
    points_rule: PointsRule = PointsRule.per_hour
    points_value: int = 1
    points_cap: int | None = None
    needs_checkout: bool = True
    needs_approval: bool = True
    rotates_code: bool = False
    project: Project | None = None
    issue_ids: tuple[int, ...] = ()


def next_welfare_day(today: dt.date) -> dt.date:
    """The next public-welfare day (党群公益日): the 28th of this month or the next."""
    if today.day <= 28:
        return today.replace(day=28)
    first_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next.replace(day=28)


def _check_event_data(data: EventData) -> None:
    if not data.title.strip():
        raise DomainError("validation_error", _l("Give the event a title."), 422)
    if data.ends_at <= data.starts_at:
        raise DomainError("validation_error", _l("The event must end after it starts."), 422)
    if data.ends_at - data.starts_at > dt.timedelta(days=7):
        raise DomainError("validation_error", _l("An event lasts at most seven days."), 422)
    if data.points_value < 0 or (data.points_cap is not None and data.points_cap <= 0):
        raise DomainError("validation_error", _l("Points must be zero or more."), 422)
    if data.capacity is not None and data.capacity <= 0:
        raise DomainError("validation_error", _l("The capacity must be at least one."), 422)
    if data.project is not None:
        if data.project.status is not ProjectStatus.claimed:
            raise DomainError(
                "project_not_running",
                _l("Events can be added only to a project that an organisation has claimed."),
                409,
            )
        if not data.area.is_within(data.project.area):
            raise DomainError(
                "validation_error", _l("The event must be held in the project's area."), 422
            )


def _link_issues(event: Event, issue_ids: tuple[int, ...]) -> None:
    from points_app.issues.models import Issue

    wanted = set(issue_ids)
    found = (
        {
            issue.id
            for issue in db.session.scalars(select(Issue).where(Issue.id.in_(wanted)))
            if issue.area.is_within(community_of(event.area) or event.area)
            or event.area.is_within(issue.area)
        }
        if wanted
        else set()
    )
    if wanted - found:
        raise DomainError(
            "validation_error", _l("Some of the chosen issues are not in the event's area."), 422
        )
    current = set(
        db.session.scalars(select(EventIssue.issue_id).where(EventIssue.event_id == event.id))
    )
    for issue_id in current - wanted:
        db.session.delete(db.session.get(EventIssue, (event.id, issue_id)))
    for issue_id in wanted - current:
        db.session.add(EventIssue(event_id=event.id, issue_id=issue_id))


def create_event(data: EventData, *, actor: Any) -> Event:
    """Create an event organised by the actor."""
    _check_event_data(data)
    event = Event(organiser_id=getattr(actor, "id", None))
    _apply(event, data)
    db.session.add(event)
    db.session.flush()
    _link_issues(event, data.issue_ids)
    record(actor, "event.create", "event", event.id)
    db.session.flush()
    return event


def update_event(event: Event, data: EventData, *, actor: Any) -> Event:
    """Change an event's details; the points rule of awarded attendances stays as it was."""
    _check_event_data(data)
    _apply(event, data)
    _link_issues(event, data.issue_ids)
    record(actor, "event.update", "event", event.id)
    db.session.flush()
    return event


def _apply(event: Event, data: EventData) -> None:
    event.title = data.title.strip()
    event.kind = data.kind
    event.area = data.area
    event.starts_at, event.ends_at = data.starts_at, data.ends_at
    event.place, event.description = data.place.strip(), data.description.strip()
    event.capacity, event.signup_required = data.capacity, data.signup_required
    event.points_rule, event.points_value = data.points_rule, data.points_value
    event.points_cap = data.points_cap
    event.needs_checkout, event.needs_approval = data.needs_checkout, data.needs_approval
    event.rotates_code = data.rotates_code
    event.project = data.project


def issue_ids_of(event: Event) -> list[int]:
    """The ids of the residents' issues the event serves."""
    stmt = select(EventIssue.issue_id).where(EventIssue.event_id == event.id)
    return sorted(db.session.scalars(stmt))


def record_people_served(event: Event, people: int, *, actor: Any) -> None:
    """Record how many people an event served (惠及人次)."""
    if people < 0:
        raise DomainError("validation_error", _l("The number cannot be negative."), 422)
    event.people_served = people
    record(actor, "event.people_served", "event", event.id, people=people)
    db.session.flush()
