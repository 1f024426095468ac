"""The database itself refuses to change or remove a transfer, however it was built."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from points_app import create_app
from points_app.config import TestConfig, normalise_database_url
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import AccountKind, Transfer, TransferKind
from tests.conftest import ON_POSTGRES, PG_URL


def _one_transfer_id(people, tree) -> int:
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    record = services.transfer(
        debit=issuance, credit=volunteer, amount=5, kind=TransferKind.issue, actor=None
    )
    db.session.commit()
    return record.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE transfers SET amount = 500 WHERE id = :id",
        "UPDATE transfers SET memo = 'changed' WHERE id = :id",
        "DELETE FROM transfers WHERE id = :id",
    ],
)
def test_database_refuses_to_change_a_transfer(people, tree, statement):
    transfer_id = _one_transfer_id(people, tree)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement), {"id": transfer_id})
    db.session.rollback()
    record = db.session.get(Transfer, transfer_id)
    assert record is not None and record.amount == 5 and record.memo == ""


def test_orm_cannot_edit_a_transfer_either(people, tree):
    record = db.session.get(Transfer, _one_transfer_id(people, tree))
    assert record is not None
    record.amount = 1
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()


@pytest.fixture
def migrated_url(tmp_path) -> Iterator[str]:
    """An empty database (SQLite file or a fresh PostgreSQL database) for `db upgrade`."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"points_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_database_url(PG_URL).rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrated_database_refuses_to_change_a_transfer(migrated_url):
    from flask_migrate import upgrade

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = migrated_url

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO areas (id, name, code, level, path) "
                    "VALUES (1, 'A', 'A', 'community', '/1/')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO accounts (id, kind, area_id, balance, created_at) VALUES "
                    "(1, 'issuance', 1, -3, CURRENT_TIMESTAMP), "
                    "(2, 'store_sink', 1, 3, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, "
                    "kind, memo, created_at) VALUES (1, 1, 2, 3, 'issue', '', CURRENT_TIMESTAMP)"
                )
            )
        for statement in (
            "UPDATE transfers SET amount = 4 WHERE id = 1",
            "DELETE FROM transfers WHERE id = 1",
        ):
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT amount FROM transfers")).scalar_one() == 3
            # The other constraints came with the migration too.
            with pytest.raises(DBAPIError):
                conn.execute(
                    text("UPDATE accounts SET kind = 'volunteer', balance = -1 WHERE id = 1")
                )
        db.session.remove()
        db.engine.dispose()
