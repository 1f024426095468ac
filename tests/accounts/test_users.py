"""User management pages: create users, give and take away roles."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from points_app.accounts import services
from points_app.accounts.models import Role, RoleAssignment, User
from points_app.core import permissions
from points_app.core.errors import DomainError
from points_app.extensions import db
from tests.people.pages import field_errors, field_value


@pytest.fixture
def admin_a(tree, make_user, login_as):
    """An administrator of community A, signed in."""
    user = make_user(Role.admin, tree["community_a"], username="admin_a")
    login_as(user)
    return user


def _page(response):
    return html.unescape(response.get_data(as_text=True))


def _new_user(client, **overrides):
    data = {"username": "wang.fang", "display_name": "王芳", "phone": "13811112222",
            "password": "long-enough-1"}  # fmt: skip
    data.update(overrides)
    return client.post("/users/new", data=data)


def test_creating_a_user_leads_to_giving_a_role(client, admin_a):
    response = _new_user(client)
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "wang.fang")).one()
    assert user.check_password("long-enough-1")
    page = _page(client.get(response.headers["Location"]))
    assert "No role yet" in page


def test_duplicate_username_is_refused_beside_the_username(client, admin_a, make_user):
    make_user(username="Wang.Fang")
    page = _new_user(client).get_data(as_text=True)
    assert field_errors(page, "username") == ["The username wang.fang is already taken."]
    assert field_value(page, "display_name") == "王芳"  # the rest of the input is kept


def test_duplicate_phone_names_the_user_who_has_it(client, admin_a, make_user):
    make_user(username="li.na", phone="13811112222")
    page = _new_user(client).get_data(as_text=True)
    assert "already used by user li.na" in field_errors(page, "phone")[0]
    assert db.session.scalars(select(User).where(User.username == "wang.fang")).all() == []


def test_bad_phone_and_short_password_are_refused(client, admin_a):
    page = _new_user(client, phone="12345", password="short").get_data(as_text=True)
    assert "11-digit" in field_errors(page, "phone")[0]
    assert "between 8 and 200" in field_errors(page, "password")[0]
    assert field_value(page, "phone") == "12345"


def test_granting_a_role_in_ones_area(client, admin_a, tree, make_user):
    user = make_user(username="grid.one")
    response = client.post(
        f"/users/{user.id}", data={"role": "grid_worker", "area_id": tree["grid_a"].id}
    )
    assert response.status_code == 302
    assignment = db.session.scalars(
        select(RoleAssignment).where(RoleAssignment.user_id == user.id)
    ).one()
    assert (assignment.role, assignment.area_id) == (Role.grid_worker, tree["grid_a"].id)
    page = _page(client.get(f"/users/{user.id}"))
    assert "Grid worker" in page and tree["grid_a"].name in page


def test_granting_a_role_outside_ones_area_is_refused(client, admin_a, tree, make_user):
    user = make_user(username="someone")
    page = _page(
        client.post(f"/users/{user.id}", data={"role": "clerk", "area_id": tree["community_b"].id})
    )
    assert "Not a valid choice" in page
    assert (
        db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).all()
        == []
    )


def test_the_same_role_twice_is_refused_with_a_message(client, admin_a, tree, make_user):
    user = make_user(Role.clerk, tree["community_a"], username="clerk.one")
    page = _page(
        client.post(f"/users/{user.id}", data={"role": "clerk", "area_id": tree["community_a"].id})
    )
    assert "already holds this role" in page


def test_admin_may_make_an_admin_below_their_own_area(client, admin_a, tree, make_user):
    user = make_user(username="grid.admin")
    response = client.post(
        f"/users/{user.id}", data={"role": "admin", "area_id": tree["grid_a"].id}
    )
    assert response.status_code == 302
    db.session.expire_all()
    granted = db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    assert [(ra.role, ra.area_id) for ra in granted] == [(Role.admin, tree["grid_a"].id)]


def test_only_an_administrator_may_make_administrators(tree, make_user, monkeypatch, app):
    # Give committee members the right to manage users, as a community might configure.
    monkeypatch.setitem(
        permissions.ROLE_PERMISSIONS, "committee",
        permissions.ROLE_PERMISSIONS["committee"] | {permissions.Permission.manage_users},
    )  # fmt: skip
    committee = make_user(Role.committee, tree["community_a"])
    user = make_user(username="hopeful")
    services.grant_role(user, Role.clerk, tree["community_a"], committee)
    with pytest.raises(DomainError) as error:
        services.grant_role(user, Role.admin, tree["community_a"], committee)
    assert error.value.code == "forbidden"
    assert "Only an administrator" in str(error.value.message)


def test_committee_member_cannot_open_user_management(client, tree, make_user, login_as):
    login_as(make_user(Role.committee, tree["community_a"]))
    assert client.get("/users").status_code == 403
    assert client.get("/users/new").status_code == 403


def test_revoking_a_role(client, admin_a, tree, make_user):
    user = make_user(Role.clerk, tree["community_a"], username="clerk.two")
    assignment = user.roles[0]
    response = client.post(f"/users/{user.id}/roles/{assignment.id}/revoke")
    assert response.status_code == 302
    assert db.session.get(RoleAssignment, assignment.id) is None
    assert "Role removed" in _page(client.get(f"/users/{user.id}"))


def test_revoking_a_role_of_another_community_is_not_found(client, admin_a, tree, make_user):
    user = make_user(Role.clerk, tree["community_b"], username="clerk.b")
    response = client.post(f"/users/{user.id}/roles/{user.roles[0].id}/revoke")
    assert response.status_code == 404
    assert db.session.get(RoleAssignment, user.roles[0].id) is not None


def test_revoke_needs_the_role_to_belong_to_the_user_in_the_url(client, admin_a, tree, make_user):
    one = make_user(Role.clerk, tree["community_a"], username="one")
    other = make_user(Role.clerk, tree["community_a"], username="other")
    response = client.post(f"/users/{other.id}/roles/{one.roles[0].id}/revoke")
    assert response.status_code == 404


def test_admin_cannot_take_away_their_own_admin_role(client, admin_a):
    assignment = admin_a.roles[0]
    response = client.post(f"/users/{admin_a.id}/roles/{assignment.id}/revoke")
    assert response.status_code == 302
    assert db.session.get(RoleAssignment, assignment.id) is not None
    assert "your own administrator role" in _page(client.get(f"/users/{admin_a.id}"))


def test_disabling_a_user_stops_their_sign_in(client, admin_a, tree, make_user):
    user = make_user(Role.clerk, tree["community_a"], username="clerk.three")
    client.post(f"/users/{user.id}/enabled")
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_enabled
    client.post(f"/users/{admin_a.id}/enabled")
    db.session.expire_all()
    assert db.session.get(User, admin_a.id).is_enabled  # not oneself


def test_user_list_shows_users_of_ones_areas_only(client, admin_a, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="mine")
    make_user(Role.clerk, tree["community_b"], username="theirs")
    page = _page(client.get("/users"))
    assert "mine" in page and "theirs" not in page
