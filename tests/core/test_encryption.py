"""ID numbers and phones are encrypted at rest; keyed hashes find and keep them unique."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from points_app.accounts.models import Role
from points_app.core.crypto import EXTENSION, DataKey, DataKeyError, Keyring, generate_data_key
from points_app.extensions import db
from points_app.issues.models import Issue, IssueCategory, IssueChannel
from points_app.people import queries
from points_app.people.models import Household, HouseholdCategory, Volunteer
from tests.conftest import ON_POSTGRES
from tests.people.conftest import valid_id

PHONE = "13905741234"


def _household(tree: dict[str, Any], n: int = 1, **kwargs: Any) -> Household:
    values: dict[str, Any] = {
        "public_no": f"S-a-H{n:03d}",
        "head_name": "王小明",
        "address": "东谷路1号",
        "community": tree["community_a"],
        "category": HouseholdCategory.dibao,
        "id_number": valid_id(n),
        "phone": PHONE,
    }
    values.update(kwargs)
    household = Household(**values)
    db.session.add(household)
    db.session.flush()
    return household


def _raw_row(table: str, row_id: int) -> str:
    row = db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})
    return " ".join(str(v) for v in row.one())


def test_household_numbers_are_stored_encrypted_and_read_back_plain(tree):
    household = _household(tree)
    db.session.commit()
    raw = _raw_row("households", household.id)

    assert valid_id(1) not in raw and PHONE not in raw and "1234" not in raw
    assert household.id_number_encrypted.startswith("v1.")
    db.session.expire_all()
    again = db.session.get(Household, household.id)
    assert again.id_number == valid_id(1)
    assert again.phone == PHONE
    assert again.masked_phone == "139****1234"


def test_volunteer_and_resident_phones_are_stored_encrypted(tree):
    volunteer = Volunteer(real_name="李四", phone=PHONE, home_community=tree["community_a"])
    issue = Issue(
        title="路灯坏了",
        category=IssueCategory.environment,
        channel=IssueChannel.grid_visit,
        area=tree["community_a"],
        resident_phone="13800001111",
    )
    db.session.add_all([volunteer, issue])
    db.session.commit()

    assert PHONE not in _raw_row("volunteers", volunteer.id)
    assert "13800001111" not in _raw_row("issues", issue.id)
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).phone == PHONE
    assert db.session.get(Issue, issue.id).resident_phone == "13800001111"


def test_the_same_number_encrypts_differently_each_time_but_hashes_the_same(tree):
    first = _household(tree, 1, id_number=None)
    second = _household(tree, 2, id_number=None)

    assert first.phone_encrypted != second.phone_encrypted
    assert first.phone_hash == second.phone_hash


def test_exact_lookup_compares_hashes(tree):
    household = _household(tree)
    _household(tree, 2, phone="13700000000")
    db.session.commit()

    by_phone = db.session.scalars(select(Household).where(Household.phone == PHONE)).all()
    by_id = db.session.scalars(select(Household).where(Household.id_number == valid_id(1))).all()
    assert [h.id for h in by_phone] == [household.id]
    assert [h.id for h in by_id] == [household.id]
    assert db.session.scalars(select(Household).where(Household.phone.in_([PHONE]))).all()
    compiled = str(select(Household.id).where(Household.phone == PHONE).compile())
    assert "phone_hash" in compiled


def test_an_encrypted_column_refuses_a_partial_match():
    with pytest.raises(TypeError, match="only exact comparisons"):
        Household.phone.contains("1234")


def test_database_refuses_a_second_household_with_the_same_id_number(tree):
    _household(tree, 1)
    db.session.commit()
    with pytest.raises(IntegrityError):
        _household(tree, 2, id_number=valid_id(1), phone=None)
    db.session.rollback()


def test_a_value_moved_to_another_column_or_altered_does_not_decrypt(app, tree):
    household = _household(tree)
    ring = app.extensions[EXTENSION]

    with pytest.raises(DataKeyError, match="belongs elsewhere"):
        ring.decrypt(household.phone_encrypted, "households.id_number")
    tampered = household.phone_encrypted[:-2] + (
        "AA" if household.phone_encrypted[-2:] != "AA" else "BB"
    )
    with pytest.raises(DataKeyError):
        ring.decrypt(tampered, "households.phone")


def test_phone_ending_is_checked_among_a_community_households(tree, make_user):
    clerk = make_user(Role.clerk, tree["community_a"])
    match = _household(tree, 1)
    _household(tree, 2, phone="13900009999", id_number=None)
    _household(tree, 3, phone="13800001234", head_name="张三", id_number=None)
    _household(tree, 4, phone=None, id_number=None)
    db.session.commit()

    found = queries.households_by_phone_ending(clerk, tree["community_a"].id, "1234", surname="王")
    assert [h.id for h in found] == [match.id]
    assert len(queries.households_by_phone_ending(clerk, tree["community_a"].id, "1234")) == 2
    assert not match.phone_ends_with("12")
    assert queries.households_by_phone_ending(clerk, tree["community_b"].id, "1234") == []


def test_rotate_key_re_encrypts_every_value_with_the_new_key(app, tree, runner):
    old_ring = app.extensions[EXTENSION]
    household = _household(tree)
    volunteer = Volunteer(real_name="李四", phone="13811112222", home_community=tree["community_a"])
    db.session.add(volunteer)
    db.session.commit()
    new_key = generate_data_key()
    # As the app starts with POINTS_DATA_KEY=<new> and POINTS_DATA_KEY_OLD=<old>.
    app.extensions[EXTENSION] = Keyring(DataKey.from_text(new_key), [old_ring.current])

    result = runner.invoke(args=["rotate-key"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 3 values" in result.output
    db.session.expire_all()
    new_only = Keyring.from_texts(new_key)
    app.extensions[EXTENSION] = new_only
    stored = db.session.get(Household, household.id)
    assert stored.phone == PHONE and stored.id_number == valid_id(1)
    assert new_only.is_current(stored.phone_encrypted)
    assert (
        db.session.scalars(select(Household).where(Household.phone == PHONE)).one().id
        == household.id
    )
    assert db.session.get(Volunteer, volunteer.id).phone == "13811112222"
    with pytest.raises(DataKeyError):
        old_ring.decrypt(stored.phone_encrypted, "households.phone")
    # Running it again finds nothing left to do.
    app.extensions[EXTENSION] = Keyring(new_only.current, [old_ring.current])
    assert "Re-encrypted 0 values" in runner.invoke(args=["rotate-key"]).output


def test_rotate_key_without_the_old_key_changes_nothing(app, tree, runner):
    household = _household(tree)
    db.session.commit()
    before = household.phone_encrypted
    app.extensions[EXTENSION] = Keyring.from_texts(generate_data_key())

    result = runner.invoke(args=["rotate-key"])

    assert result.exit_code != 0
    assert "POINTS_DATA_KEY_OLD" in result.output
    raw = db.session.execute(
        text("SELECT phone_encrypted FROM households WHERE id = :id"), {"id": household.id}
    ).scalar_one()
    assert raw == before


def test_new_data_key_prints_a_usable_key(runner):
    result = runner.invoke(args=["new-data-key"])
    assert result.exit_code == 0
    Keyring.from_texts(result.output.strip())


def test_a_malformed_data_key_is_refused():
    with pytest.raises(DataKeyError):
        Keyring.from_texts("too-short")


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite file")
def test_sqlite_database_file_is_created_readable_by_its_owner_only(app, tmp_path):
    from points_app import create_app
    from points_app.config import TestConfig

    path = tmp_path / "new" / "private.db"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    fresh = create_app(Cfg)
    with fresh.app_context():
        db.create_all()
        db.engine.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
