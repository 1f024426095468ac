"""The top bar links every page a user may use, by role, and none they may not open."""

from __future__ import annotations

import re

import pytest
from flask import g

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.people.models import Volunteer

EXPECTED = {
    Role.admin: {"/users", "/areas/", "/issues/calendar", "/issues/resolved", "/projects"},
    Role.committee: {"/issues/talks/", "/issues/resolved", "/issues/dashboard", "/projects",
                     "/needs", "/events", "/ledger/"},
    Role.organiser: {"/events", "/projects", "/needs", "/volunteers", "/pairings",
                     "/issues/talks/"},
    Role.grid_worker: {"/issues/", "/issues/mine", "/issues/talks/", "/households"},
    Role.clerk: {"/store/"},
    Role.volunteer: {"/me/service", "/events", "/needs"},
}  # fmt: skip
AREA = {Role.admin: "county", Role.grid_worker: "grid_a"}


def _nav_links(page: str) -> set[str]:
    nav = re.split(r'<nav class="topnav"[^>]*>', page, maxsplit=1)[1].split("</nav>", 1)[0]
    return set(re.findall(r'href="([^"]+)"', nav))


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_link_in_the_top_bar_opens_for_the_user(client, login_as, make_user, tree, role):
    user = make_user(role, tree[AREA.get(role, "community_a")])
    if role is Role.volunteer:
        db.session.add(
            Volunteer(real_name="张伟", phone="13900000001", home_community=tree["community_a"],
                      user_id=user.id)
        )  # fmt: skip
        db.session.commit()
    login_as(user)
    links = _nav_links(client.get("/").get_data(as_text=True))
    assert EXPECTED[role] <= links
    for link in sorted(links):
        g.pop("_login_user", None)
        assert client.get(link).status_code == 200, link
    if role is not Role.admin:
        assert "/users" not in links and "/issues/calendar" not in links
