"""Defining events: what an event may be, what is kept of it, the issues it serves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.events import services
from points_app.events.models import EventKind, PointsRule
from points_app.extensions import db
from points_app.issues.models import IssueCategory, IssueChannel
from points_app.issues.services import raise_issue


def _data(tree: dict[str, Any], now: dt.datetime, **overrides: Any) -> services.EventData:
    fields: dict[str, Any] = {
        "title": "  清扫楼道 ",
        "kind": EventKind.volunteer,
        "area": tree["community_a"],
        "starts_at": now,
        "ends_at": now + dt.timedelta(hours=3),
        "place": " 社区A广场 ",
        "points_rule": PointsRule.per_hour,
        "points_value": 2,
    }
    fields.update(overrides)
    return services.EventData(**fields)


def _audited(action: str) -> list[tuple[str, int | None, int | None]]:
    query = select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.actor_id).where(
        AuditEntry.action == action
    )
    return [tuple(row) for row in db.session.execute(query)]


def test_each_event_that_cannot_be_held_is_refused_with_what_is_wrong(app, tree, now, people):
    week = dt.timedelta(days=7)
    wrong = {
        "no title": {"title": "  "},
        "ends as it starts": {"ends_at": now},
        "longer than a week": {"ends_at": now + week + dt.timedelta(seconds=1)},
        "negative points": {"points_value": -1},
        "a cap of no points": {"points_cap": 0},
        "no room": {"capacity": 0},
    }
    said = {}
    for what, overrides in wrong.items():
        with pytest.raises(DomainError) as refused:
            services.create_event(_data(tree, now, **overrides), actor=people["organiser"])
        with app.test_request_context():
            said[what] = (refused.value.code, refused.value.status, str(refused.value.message))
    assert said == {
        "no title": ("validation_error", 422, "Give the event a title."),
        "ends as it starts": ("validation_error", 422, "The event must end after it starts."),
        "longer than a week": ("validation_error", 422, "An event lasts at most seven days."),
        "negative points": ("validation_error", 422, "Points must be zero or more."),
        "a cap of no points": ("validation_error", 422, "Points must be zero or more."),
        "no room": ("validation_error", 422, "The capacity must be at least one."),
    }
    # The limits themselves are allowed: a whole week, no points, one place.
    services.create_event(
        _data(tree, now, ends_at=now + week, points_value=0, points_cap=1, capacity=1),
        actor=people["organiser"],
    )


def test_an_event_keeps_what_the_organiser_filled_in_and_its_creation_is_audited(tree, now, people):
    data = _data(tree, now, capacity=12, points_cap=5, signup_required=True)
    event = services.create_event(data, actor=people["organiser"])
    db.session.commit()
    assert (event.title, event.place) == ("清扫楼道", "社区A广场")
    assert (event.starts_at, event.ends_at) == (data.starts_at, data.ends_at)
    assert (event.capacity, event.points_value, event.points_cap) == (12, 2, 5)
    assert event.signup_required and event.organiser_id == people["organiser"].id
    assert _audited("event.create") == [("event", event.id, people["organiser"].id)]


def test_an_event_serves_the_issues_of_its_area_only_and_an_edit_replaces_them(
    app, tree, now, people, make_user
):
    def issue(actor: Any, area: Any) -> int:
        raised = raise_issue(
            actor=actor, area=area, title="楼道堆物",
            category=IssueCategory.environment, channel=IssueChannel.grid_visit,
        )  # fmt: skip
        return raised.id

    first, second, third = (issue(people["committee"], tree["grid_a"]) for _ in range(3))
    elsewhere = issue(make_user(Role.committee, tree["community_b"]), tree["community_b"])
    with pytest.raises(DomainError) as refused:
        services.create_event(
            _data(tree, now, issue_ids=(first, elsewhere)), actor=people["organiser"]
        )
    with app.test_request_context():
        assert (refused.value.code, refused.value.status, str(refused.value.message)) == (
            "validation_error", 422, "Some of the chosen issues are not in the event's area.",
        )  # fmt: skip
    db.session.rollback()
    event = services.create_event(
        _data(tree, now, issue_ids=(first, second)), actor=people["organiser"]
    )
    db.session.commit()
    assert services.issue_ids_of(event) == sorted([first, second])
    services.update_event(
        event, _data(tree, now, issue_ids=(second, third)), actor=people["organiser"]
    )
    db.session.commit()
    assert services.issue_ids_of(event) == sorted([second, third])
    other = services.create_event(_data(tree, now, issue_ids=(first,)), actor=people["organiser"])
    db.session.commit()
    assert services.issue_ids_of(other) == [first]
    assert services.issue_ids_of(event) == sorted([second, third])


def test_people_served_is_recorded_and_audited_and_cannot_be_negative(app, event, people):
    with pytest.raises(DomainError) as refused:
        services.record_people_served(event, -1, actor=people["organiser"])
    with app.test_request_context():
        assert (refused.value.code, refused.value.status, str(refused.value.message)) == (
            "validation_error", 422, "The number cannot be negative.",
        )  # fmt: skip
    services.record_people_served(event, 0, actor=people["organiser"])
    services.record_people_served(event, 40, actor=people["organiser"])
    db.session.commit()
    assert event.people_served == 40
    assert _audited("event.people_served") == [("event", event.id, people["organiser"].id)] * 2
    details = db.session.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.action == "event.people_served")
        .order_by(AuditEntry.id)
    ).all()
    assert details == [{"people": 0}, {"people": 40}]


def test_an_event_of_a_project_is_held_in_the_projects_area(
    app, tree, now, people, claimed_project
):
    project = claimed_project(40)
    with pytest.raises(DomainError) as refused:
        services.create_event(
            _data(tree, now, project=project, area=tree["community_b"]), actor=people["organiser"]
        )
    with app.test_request_context():
        assert (refused.value.code, refused.value.status, str(refused.value.message)) == (
            "validation_error", 422, "The event must be held in the project's area.",
        )  # fmt: skip
    db.session.rollback()
    assert (
        services.create_event(
            _data(tree, now, project=project, area=tree["grid_a"]), actor=people["organiser"]
        ).project
        is project
    )


def test_an_event_cannot_be_added_to_a_project_no_organisation_has_claimed(app, tree, now, people):
    from points_app.events import projects

    project = projects.publish_project(
        title="助老", area=tree["community_a"], budget_points=40, actor=people["committee"]
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.create_event(_data(tree, now, project=project), actor=people["organiser"])
    with app.test_request_context():
        assert (refused.value.code, refused.value.status, str(refused.value.message)) == (
            "project_not_running", 409,
            "Events can be added only to a project that an organisation has claimed.",
        )  # fmt: skip
