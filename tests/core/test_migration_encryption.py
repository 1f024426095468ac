"""Migration 0012_encryption encrypts the numbers already stored, and its downgrade decrypts."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from points_app.extensions import db
from points_app.people.models import Household, Volunteer
from tests.core.test_migrations import empty_db_app  # noqa: F401  (fixture)

ID_NUMBER = "33022519500101001X"
PHONE = "13905741234"
VOLUNTEER_PHONE = "13811112222"
NOW = "2026-11-01 00:00:00+00:00"


def _insert_plain_rows() -> None:
    statements = [
        "INSERT INTO areas (id, name, code, level, path)"
        " VALUES (1, '社区', 'C', 'community', '/1/')",
        "INSERT INTO households (id, public_no, head_name, members_count, address, community_id,"
        " category, id_number, phone, card_version, is_active, created_at) VALUES"
        f" (1, 'C-H001', '王小明', 1, '东谷路', 1, 'dibao', '{ID_NUMBER}', '{PHONE}', 1, true,"
        f" '{NOW}')",
        "INSERT INTO households (id, public_no, head_name, members_count, address, community_id,"
        " category, card_version, is_active, created_at) VALUES"
        f" (2, 'C-H002', '李四', 1, '东谷路', 1, 'other', 1, true, '{NOW}')",
        "INSERT INTO volunteers (id, real_name, phone, home_community_id, is_party_member,"
        f" created_at) VALUES (1, '张三', '{VOLUNTEER_PHONE}', 1, false, '{NOW}')",
    ]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _dump(table: str) -> str:
    with db.engine.connect() as conn:
        return " ".join(str(row) for row in conn.execute(text(f"SELECT * FROM {table}")).all())


def test_upgrade_encrypts_existing_numbers_and_downgrade_restores_them(empty_db_app):  # noqa: F811
    upgrade(revision="0006")
    _insert_plain_rows()

    upgrade(revision="head")  # through the migrations after it too: the models are at head

    assert ID_NUMBER not in _dump("households") and PHONE not in _dump("households")
    assert VOLUNTEER_PHONE not in _dump("volunteers")
    household = db.session.get(Household, 1)
    assert household.id_number == ID_NUMBER and household.phone == PHONE
    assert db.session.get(Household, 2).id_number is None
    assert db.session.get(Volunteer, 1).phone == VOLUNTEER_PHONE
    assert db.session.scalars(db.select(Household.id).where(Household.phone == PHONE)).all() == [1]
    db.session.remove()

    downgrade(revision="0006")

    with db.engine.connect() as conn:
        plain = conn.execute(text("SELECT id_number, phone FROM households ORDER BY id")).all()
        volunteer = conn.execute(text("SELECT phone FROM volunteers")).scalar_one()
    assert [tuple(row) for row in plain] == [(ID_NUMBER, PHONE), (None, None)]
    assert volunteer == VOLUNTEER_PHONE
