"""The audit log is append-only in the database and searchable by admins and committees."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry, record
from points_app.extensions import db
from points_app.people.models import Household, HouseholdCategory
from tests.core.test_migrations import empty_db_app  # noqa: F401  (fixture)


def _entry(actor=None, action="household.view_private", object_id=1, **kwargs) -> AuditEntry:
    entry = record(actor, action, "household", object_id, **kwargs)
    db.session.commit()
    return entry


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'nothing' WHERE id = :id",
        "UPDATE audit_log SET actor_id = NULL WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
    ],
)
def test_database_refuses_to_change_or_delete_an_audit_entry(app, statement):
    entry_id = _entry().id
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement), {"id": entry_id})
    db.session.rollback()
    assert db.session.get(AuditEntry, entry_id).action == "household.view_private"


def test_the_migrated_database_refuses_it_too(empty_db_app):  # noqa: F811
    upgrade()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, action, object_type, detail) "
                "VALUES (CURRENT_TIMESTAMP, 'x.y', 'x', '{}')"
            )
        )
    for statement in ("UPDATE audit_log SET action = 'z'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


def test_an_entry_made_in_a_request_keeps_the_client_address(app, tree, make_user, login_as):
    committee = make_user(Role.committee, tree["community_a"])
    household = Household(
        public_no="S-a-H001", head_name="王秀英", address="东谷路", community=tree["community_a"],
        category=HouseholdCategory.dibao, phone="13905741234",
    )  # fmt: skip
    db.session.add(household)
    db.session.commit()
    client = login_as(committee)

    client.get(f"/households/{household.id}/private", environ_base={"REMOTE_ADDR": "10.1.2.3"})

    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "household.view_private")
    ).one()
    assert (entry.actor_id, entry.object_id, entry.ip) == (committee.id, household.id, "10.1.2.3")


@pytest.fixture
def staff(tree, make_user):
    return {
        "admin": make_user(Role.admin, tree["county"], username="countyadmin"),
        "committee_a": make_user(Role.committee, tree["community_a"], username="comm_a"),
        "clerk_a": make_user(
            Role.clerk, tree["community_a"], username="clerk_a", display_name="周敏"
        ),
        "clerk_b": make_user(Role.clerk, tree["community_b"], username="clerk_b"),
        "organiser_a": make_user(Role.organiser, tree["community_a"], username="org_a"),
    }


def test_committee_sees_the_entries_of_its_own_staff_only(client, login_as, staff):
    _entry(staff["clerk_a"], "household.lookup", None)
    _entry(staff["clerk_b"], "household.view_private", 2)
    _entry(None, "user.create", 9)

    page = login_as(staff["committee_a"]).get("/audit/").get_data(as_text=True)

    assert "clerk_a" in page and "household.lookup" in page
    assert "clerk_b" not in page and "user.create" not in page


def test_a_top_administrator_sees_everything(client, login_as, staff):
    _entry(staff["clerk_b"], "household.view_private", 2)
    _entry(None, "user.create", 9)

    page = login_as(staff["admin"]).get("/audit/").get_data(as_text=True)

    assert "clerk_b" in page and "user.create" in page


def test_others_may_not_open_the_audit_log(client, login_as, staff):
    assert login_as(staff["organiser_a"]).get("/audit/").status_code == 403
    assert login_as(staff["clerk_a"]).get("/audit/").status_code == 403


def test_the_log_is_searched_by_who_what_object_when_and_where(app, client, login_as, staff):
    _entry(staff["clerk_a"], "household.view_private", 5)
    _entry(staff["clerk_a"], "store.redeem", 7)
    _entry(staff["organiser_a"], "household.update", 5)
    db.session.execute(
        text("INSERT INTO audit_log (at, actor_id, action, object_type, object_id, detail, ip) "
             "VALUES (:at, :actor, 'household.export', 'household', NULL, '{}', '10.9.9.9')"),
        {"at": dt.datetime(2026, 1, 5, 4, tzinfo=dt.UTC).replace(tzinfo=None)
         if db.engine.dialect.name == "sqlite" else dt.datetime(2026, 1, 5, 4, tzinfo=dt.UTC),
         "actor": staff["clerk_a"].id},
    )  # fmt: skip
    db.session.commit()
    browser = login_as(staff["committee_a"])

    def rows(**args) -> str:
        page = browser.get("/audit/", query_string=args).get_data(as_text=True)
        return page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""

    assert rows(who="周敏").count("<tr>") == 3
    assert rows(action="store.").count("<tr>") == 1
    assert rows(object_type="household", object_id="5").count("<tr>") == 2
    assert "household.export" in rows(ip="10.9.")
    assert rows(**{"from": "2026-01-05", "to": "2026-01-05"}).count("<tr>") == 1
    personal = rows(personal="1")
    assert "household.view_private" in personal and "household.export" in personal
    assert "store.redeem" not in personal and "household.update" not in personal


def test_the_log_is_paginated(app, client, login_as, staff):
    app.config["PAGE_SIZE"] = 2
    for n in range(5):
        _entry(staff["clerk_a"], "household.view_private", n + 1)
    browser = login_as(staff["committee_a"])

    first = browser.get("/audit/").get_data(as_text=True)
    third = browser.get("/audit/?page=3").get_data(as_text=True)

    assert "#5" in first and "#4" in first and "#3" not in first and "page=2" in first
    assert "#1" in third and "#2" not in third


@pytest.mark.parametrize(
    "query",
    [
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"object_id": "99999999999999"},
        {"from": "yesterday", "page": "-3"},
        {"who": "%_\\", "action": "'; DROP TABLE audit_log; --"},
    ],
)
def test_odd_searches_answer_normally(client, login_as, staff, query):
    _entry(staff["clerk_a"], "household.view_private", 5)
    response = login_as(staff["committee_a"]).get("/audit/", query_string=query)
    assert response.status_code == 200
