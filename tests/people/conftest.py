"""People fixtures: an administrator, and people registered through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from points_app.accounts.models import Role, User
from points_app.extensions import db
from points_app.people import services
from points_app.people.models import HouseholdCategory, OrganisationKind
from points_app.people.validation import id_check_char


def valid_id(serial: int, born: str = "19500101") -> str:
    """A well-formed 18-character ID number (made up) with the right check character."""
    first17 = f"330225{born}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def wrong_check(id_number: str) -> str:
    """The same ID number with a wrong last character."""
    last = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + last


@pytest.fixture(autouse=True)
def _request_context(app: Any) -> Any:
    """Refusal messages are translated lazily; reading them needs a request's locale."""
    with app.test_request_context():
        yield


@pytest.fixture
def switch_to(login_as: Callable[[User], Any]) -> Callable[[User], Any]:
    """Sign in as another user within one test (forgetting the user cached by the last request)."""

    def switch(user: User) -> Any:
        from flask import g

        g.pop("_login_user", None)
        return login_as(user)

    return switch


@pytest.fixture
def admin(tree: dict[str, Any], make_user: Callable[..., User]) -> User:
    """An administrator of the whole county."""
    return make_user(Role.admin, tree["county"], username="county_admin")


def build_people(tree: dict[str, Any], admin: User) -> dict[str, Any]:
    """In each of communities A and B: a volunteer, an organisation, a household (the one
    in A placed in grid A) and a pairing of the volunteer with the household; committed."""
    made: dict[str, Any] = {}
    for n, key in enumerate(("a", "b"), start=1):
        community = tree[f"community_{key}"]
        volunteer = services.create_volunteer(
            admin, real_name=f"志愿者{key.upper()}", phone=f"1390000000{n}",
            home_community=community,
        )  # fmt: skip
        organisation = services.create_organisation(
            admin, name=f"服务队{key.upper()}", kind=OrganisationKind.volunteer_team,
            area=community,
        )  # fmt: skip
        household = services.create_household(
            admin, head_name=f"王{key.upper()}英", members_count=2,
            address=f"社区{key.upper()}一幢101室",
            area=tree[f"grid_{key}"] if key == "a" else community,
            category=HouseholdCategory.dibao, id_number=valid_id(n), phone=f"1380000000{n}",
        )  # fmt: skip
        pairing = services.create_pairing(
            admin, household=household, volunteer=volunteer,
            start_date=dt.date(2026, 1, 1),
        )  # fmt: skip
        membership = services.add_member(admin, organisation, volunteer)
        made.update(
            {
                f"volunteer_{key}": volunteer,
                f"organisation_{key}": organisation,
                f"household_{key}": household,
                f"pairing_{key}": pairing,
                f"membership_{key}": membership,
            }
        )
    db.session.commit()
    return made


@pytest.fixture
def people(tree: dict[str, Any], admin: User) -> dict[str, Any]:
    """People of communities A and B (see build_people)."""
    return build_people(tree, admin)
