"""No object of another community can be reached by URL: 404 for theirs, 200 for one's own.

Every object type reachable by a URL is listed below; a user holding a role in community A
asks for the object of community A (allowed) and for the same kind of object of community B
(not found, exactly as if it did not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from points_app.accounts.models import Role
from tests.people.conftest import build_people


@dataclass(frozen=True)
class Case:
    """A URL of an object in community A or B, asked for by a user of community A."""

    name: str
    role: Role
    url: Callable[[dict[str, Any], str], str]
    method: str = "GET"
    data: dict[str, str] | None = None
    own_status: int = 200
    at: str = "community_a"  # where the asking user's role is held


def _id(key: str) -> Callable[[dict[str, Any], str], int]:
    return lambda w, side: w[f"{key}_{side}"].id


CASES = [
    Case("area edit", Role.admin, lambda w, s: f"/areas/{w[f'community_{s}'].id}/edit"),
    Case("area add below", Role.admin, lambda w, s: f"/areas/{w[f'community_{s}'].id}/new"),
    Case("user detail", Role.admin, lambda w, s: f"/users/{w[f'user_{s}'].id}"),
    Case("volunteer detail", Role.organiser, lambda w, s: f"/volunteers/{_id('volunteer')(w, s)}"),
    Case("volunteer edit", Role.committee,
         lambda w, s: f"/volunteers/{_id('volunteer')(w, s)}/edit"),
    Case("volunteer phone reveal", Role.organiser,
         lambda w, s: f"/volunteers/{_id('volunteer')(w, s)}/phone", method="POST"),
    Case("organisation detail", Role.organiser,
         lambda w, s: f"/organisations/{_id('organisation')(w, s)}"),
    Case("organisation edit", Role.committee,
         lambda w, s: f"/organisations/{_id('organisation')(w, s)}/edit"),
    Case("household detail", Role.clerk, lambda w, s: f"/households/{_id('household')(w, s)}"),
    Case("household private view", Role.committee,
         lambda w, s: f"/households/{_id('household')(w, s)}/private"),
    Case("household private view by grid worker", Role.grid_worker,
         lambda w, s: f"/households/{_id('household')(w, s)}/private", at="grid_a"),
    Case("household edit", Role.committee,
         lambda w, s: f"/households/{_id('household')(w, s)}/edit"),
    Case("pairing detail", Role.clerk, lambda w, s: f"/pairings/{_id('pairing')(w, s)}"),
    Case("pair from household", Role.organiser,
         lambda w, s: f"/pairings/new?household={_id('household')(w, s)}"),
    Case("pair from volunteer", Role.organiser,
         lambda w, s: f"/pairings/new?volunteer={_id('volunteer')(w, s)}"),
    Case("pair from organisation", Role.organiser,
         lambda w, s: f"/pairings/new?organisation={_id('organisation')(w, s)}"),
    Case("end pairing", Role.organiser,
         lambda w, s: f"/pairings/{_id('pairing')(w, s)}/end", method="POST",
         data={"end_date": "2026-06-30"}, own_status=302),
    Case("edit household (post)", Role.committee,
         lambda w, s: f"/households/{_id('household')(w, s)}/edit", method="POST", data={}),
    Case("add member", Role.organiser,
         lambda w, s: f"/organisations/{_id('organisation')(w, s)}/members", method="POST",
         data={}),
    Case("remove member", Role.organiser,
         lambda w, s: f"/organisations/{_id('organisation')(w, s)}/members/"
         f"{_id('membership')(w, s)}/remove", method="POST", own_status=302),
    Case("volunteer sign-in link", Role.organiser,
         lambda w, s: f"/volunteers/{_id('volunteer')(w, s)}/sign-in-link"),
    Case("make a sign-in link", Role.organiser,
         lambda w, s: f"/volunteers/{_id('volunteer')(w, s)}/sign-in-link", method="POST",
         own_status=302),
    Case("confirm volunteer", Role.organiser,
         lambda w, s: f"/volunteers/{_id('volunteer')(w, s)}/confirm", method="POST",
         own_status=302),
    Case("organisation gives points", Role.organiser,
         lambda w, s: f"/ledger/give/organisation/{_id('organisation')(w, s)}"),
]  # fmt: skip


@pytest.fixture
def world(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    admin = make_user(Role.admin, tree["county"], username="county_admin")
    objects = dict(tree)
    objects.update(build_people(tree, admin))
    objects["user_a"] = make_user(Role.clerk, tree["community_a"], username="clerk_a")
    objects["user_b"] = make_user(Role.clerk, tree["community_b"], username="clerk_b")
    return objects


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_object_of_another_community_is_not_found(app, client, world, make_user, login_as, case):
    with app.test_request_context():
        login_as(make_user(case.role, world[case.at]))

        def ask(side: str) -> int:
            url = case.url(world, side)
            if case.method == "POST":
                return client.post(url, data=case.data or {}).status_code
            return client.get(url).status_code

        assert ask("b") == 404
        assert ask("a") == case.own_status


def test_every_object_route_of_the_people_pages_is_in_the_table(app):
    """A new route with an id in its URL must be added to the table above."""
    covered = {
        "areas.edit", "areas.new_child", "accounts.user_detail", "people.volunteer_detail",
        "people.edit_volunteer", "people.organisation_detail", "people.edit_organisation",
        "people.household_detail", "people.household_private", "people.edit_household",
        "people.pairing_detail", "people.end_pairing", "people.add_member",
        "people.remove_member", "people.reveal_volunteer_phone",
        "people.sign_in_link", "people.new_sign_in_link",
        "people.confirm_volunteer",
    }  # fmt: skip
    # Routes checked elsewhere: the role revoke and enable toggles (tests/accounts).
    elsewhere = {"accounts.revoke_role", "accounts.toggle_enabled"}
    with_ids = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "_id>" in rule.rule and rule.endpoint.split(".")[0] in ("areas", "accounts", "people")
    }
    assert with_ids - covered - elsewhere == set()
