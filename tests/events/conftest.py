"""Event fixtures: an organiser, volunteers and a paired household in community A, and an
event on now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from points_app.accounts.models import Role
from points_app.core.db import utcnow
from points_app.events import services
from points_app.events.models import Event, EventKind, PointsRule
from points_app.extensions import db
from points_app.people.models import Household, HouseholdCategory, Pairing, Volunteer

# A Tuesday, 10:00:05 in Shanghai: 5 seconds into a 30-second code window.
FROZEN_AT = dt.datetime(2026, 3, 10, 2, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    """Every events test runs on a stopped clock: codes rotate, events start and end, and
    check-ins are stamped against `FROZEN_AT`, whatever second the test happens to run in."""
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def now(frozen_clock: Any) -> dt.datetime:
    """The frozen moment (the event below starts 10 minutes before it)."""
    assert utcnow() == FROZEN_AT
    return FROZEN_AT


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """An organiser and a committee member in community A; volunteer users in A and B;
    a household in A paired with the first volunteer."""
    a, b = tree["community_a"], tree["community_b"]
    organiser = make_user(Role.organiser, a, username="organiser")
    committee = make_user(Role.committee, a, username="committee")
    vol_user = make_user(Role.volunteer, a, username="vol")
    other_user = make_user(Role.volunteer, b, username="vol_b")
    v = Volunteer(real_name="张伟", phone="13900000001", home_community=a, user_id=vol_user.id)
    v2 = Volunteer(real_name="李娜", phone="13900000002", home_community=a)
    vb = Volunteer(real_name="赵英", phone="13900000003", home_community=b, user_id=other_user.id)
    household = Household(
        public_no="A-H001", head_name="王英", address="社区A1幢101室", community=a,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    db.session.add_all([v, v2, vb, household])
    db.session.flush()
    db.session.add(
        Pairing(household=household, volunteer=v, start_date=utcnow().date() - dt.timedelta(1))
    )
    db.session.commit()
    return {
        "organiser": organiser, "committee": committee, "vol_user": vol_user,
        "other_user": other_user, "v": v, "v2": v2, "vb": vb, "household": household,
    }  # fmt: skip


@pytest.fixture
def make_event(
    tree: dict[str, Any], people: dict[str, Any], now: dt.datetime
) -> Callable[..., Event]:
    """make_event(**overrides): an event in community A from 10 minutes ago for 3 hours."""

    def make(**overrides: Any) -> Event:
        fields: dict[str, Any] = {
            "title": "清扫楼道",
            "kind": EventKind.volunteer,
            "area": tree["community_a"],
            "starts_at": now - dt.timedelta(minutes=10),
            "ends_at": now + dt.timedelta(hours=3),
            "place": "社区A广场",
            "points_rule": PointsRule.per_hour,
            "points_value": 1,
        }
        fields.update(overrides)
        event = services.create_event(services.EventData(**fields), actor=people["organiser"])
        db.session.commit()
        return event

    return make


@pytest.fixture
def event(make_event: Callable[..., Event]) -> Event:
    return make_event()


@pytest.fixture
def claimed_project(tree: dict[str, Any], people: dict[str, Any]) -> Callable[[int], Any]:
    """claimed_project(budget_points): a project of community A, published by the
    committee and claimed by a social organisation there."""
    from points_app.events import projects
    from points_app.people.models import Organisation, OrganisationKind

    def make(budget_points: int) -> Any:
        org = Organisation(
            name="善园社工", kind=OrganisationKind.social_organisation, area=tree["community_a"]
        )
        db.session.add(org)
        project = projects.publish_project(
            title="助老", area=tree["community_a"], budget_points=budget_points,
            actor=people["committee"],
        )  # fmt: skip
        projects.claim_project(project, org, actor=people["organiser"])
        db.session.commit()
        return project

    return make


@pytest.fixture
def sign_in_as(login_as: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """login_as that also forgets the user cached in `g` by an earlier request: the test's
    app context (and so `g`) outlives each request."""
    from flask import g

    def sign_in(user: Any) -> Any:
        g.pop("_login_user", None)
        return login_as(user)

    return sign_in
