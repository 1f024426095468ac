"""`can(user, permission, area)`: roles hold at their area and every area below it."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from points_app.accounts.models import Role, RoleAssignment
from points_app.areas.models import Area
from points_app.areas.services import visible_areas
from points_app.core.permissions import ROLE_PERMISSIONS, Permission, area_clause, can
from points_app.extensions import db

P = Permission
ALL_AREAS = ("county", "street", "community_a", "grid_a", "micro_a", "community_b", "grid_b",
             "micro_b")  # fmt: skip


def _covered(user, permission, tree):
    return {name for name in ALL_AREAS if can(user, permission, tree[name])}


def test_committee_role_covers_its_community_grids_and_microgrids(tree, make_user):
    committee = make_user(Role.committee, tree["community_a"])
    assert _covered(committee, P.manage_households, tree) == {"community_a", "grid_a", "micro_a"}


def test_committee_role_does_not_reach_sibling_community_or_the_street_above(tree, make_user):
    committee = make_user(Role.committee, tree["community_a"])
    for name in ("community_b", "grid_b", "micro_b", "street", "county"):
        assert not can(committee, P.view_people, tree[name]), name


def test_admin_at_the_county_covers_every_area_and_permission(tree, make_user):
    admin = make_user(Role.admin, tree["county"])
    for permission in Permission:
        assert _covered(admin, permission, tree) == set(ALL_AREAS), permission


def test_grid_worker_covers_the_grid_but_not_the_community_above(tree, make_user):
    worker = make_user(Role.grid_worker, tree["grid_a"])
    assert _covered(worker, P.view_household_private, tree) == {"grid_a", "micro_a"}


def test_role_grants_only_its_own_permissions(tree, make_user):
    clerk = make_user(Role.clerk, tree["community_a"])
    assert can(clerk, P.redeem, tree["community_a"])
    assert not can(clerk, P.manage_people, tree["community_a"])
    assert not can(clerk, P.view_household_private, tree["community_a"])
    volunteer = make_user(Role.volunteer, tree["community_a"])
    assert not any(can(volunteer, permission) for permission in Permission)


def test_roles_at_two_areas_add_up(tree, make_user):
    user = make_user(Role.grid_worker, tree["grid_a"])
    db.session.add(RoleAssignment(user=user, role=Role.clerk, area=tree["community_b"]))
    db.session.commit()
    assert can(user, P.view_household_private, tree["micro_a"])
    assert not can(user, P.view_household_private, tree["community_b"])
    assert can(user, P.redeem, tree["grid_b"])
    assert not can(user, P.redeem, tree["community_a"])


def test_without_an_area_can_asks_whether_the_user_holds_it_anywhere(tree, make_user):
    worker = make_user(Role.grid_worker, tree["micro_b"])
    assert can(worker, P.raise_issue)
    assert not can(worker, P.manage_areas)


@pytest.mark.parametrize("role", list(Role))
def test_disabled_user_can_do_nothing(tree, make_user, role):
    user = make_user(role, tree["county"], is_enabled=False)
    for permission in Permission:
        assert not can(user, permission), permission
        assert not can(user, permission, tree["micro_a"]), permission


def test_anonymous_user_can_do_nothing(tree):
    anonymous = AnonymousUserMixin()
    assert not any(can(anonymous, permission, tree["county"]) for permission in Permission)


def test_user_with_no_role_can_do_nothing(tree, make_user):
    user = make_user()
    assert not any(can(user, permission) for permission in Permission)


def test_area_clause_limits_list_queries_to_the_users_subtree(tree, make_user):
    committee = make_user(Role.committee, tree["community_a"])
    clause = area_clause(Area.path, committee, P.view_people)
    names = set(db.session.scalars(select(Area.name).where(clause)))
    assert names == {tree[n].name for n in ("community_a", "grid_a", "micro_a")}
    assert [a.name for a in visible_areas(make_user(), P.view_people)] == []


def test_role_does_not_leak_to_an_area_whose_id_starts_with_the_same_digits(tree, make_user):
    from points_app.areas.models import AreaLevel
    from points_app.areas.services import create_area

    community_a = tree["community_a"]
    lookalike = None
    for n in range(60):
        area = create_area(
            name=f"社区{n}", code=f"X{n}", level=AreaLevel.community, parent=tree["street"],
            actor=None,
        )  # fmt: skip
        if str(area.id).startswith(str(community_a.id)) and area.id != community_a.id:
            lookalike = area
            break
    db.session.commit()
    assert lookalike is not None
    committee = make_user(Role.committee, community_a)
    assert not can(committee, P.view_people, lookalike)
    visible = {a.id for a in visible_areas(committee, P.view_people)}
    assert lookalike.id not in visible


def test_every_role_has_a_permission_set():
    assert set(ROLE_PERMISSIONS) == {r.value for r in Role}
    assert ROLE_PERMISSIONS["admin"] == frozenset(Permission)


def test_nested_grants_keep_only_the_widest_area_and_disjoint_ones_both(tree, make_user):
    from points_app.core.permissions import area_paths

    user = make_user(Role.committee, tree["community_a"])
    db.session.add_all([
        RoleAssignment(user=user, role=Role.committee, area=tree["grid_a"]),  # inside A
        RoleAssignment(user=user, role=Role.committee, area=tree["community_b"]),
    ])  # fmt: skip
    db.session.commit()
    assert sorted(area_paths(user, P.view_people)) == sorted(
        [tree["community_a"].path, tree["community_b"].path]
    )
    clause = area_clause(Area.path, user, P.view_people)
    names = set(db.session.scalars(select(Area.name).where(clause)))
    assert names == {tree[n].name for n in ("community_a", "grid_a", "micro_a", "community_b",
                                           "grid_b", "micro_b")}  # fmt: skip


def test_no_user_at_all_can_do_nothing(tree):
    # Background jobs and the command line pass no user: they are asked nothing of here.
    for permission in Permission:
        assert not can(None, permission)
        assert not can(None, permission, tree["community_a"])
