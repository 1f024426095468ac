"""`flask backup` and `flask restore` round-trip the database; `ledger verify` accepts the copy."""

from __future__ import annotations

import shutil
import stat

import pytest
from sqlalchemy import func, select

from points_app import create_app
from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import create_area
from points_app.cli.demo import load_demo
from points_app.config import TestConfig, normalise_database_url
from points_app.extensions import db
from points_app.ledger.models import Transfer
from points_app.people.models import Household
from tests.conftest import ON_POSTGRES

needs_pg_tools = pytest.mark.skipif(
    ON_POSTGRES and not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump/pg_restore are not installed",
)


def _snapshot() -> tuple[int, int, str]:
    db.session.expire_all()
    first = db.session.scalars(select(Household).order_by(Household.id)).first()
    return (
        db.session.scalar(select(func.count()).select_from(Area)),
        db.session.scalar(select(func.count()).select_from(Transfer)),
        first.head_name,
    )


@needs_pg_tools
def test_a_restored_backup_is_the_database_as_it_was_and_the_ledger_verifies(app, runner, tmp_path):
    load_demo()
    db.session.commit()
    before = _snapshot()
    assert before[1] > 0  # the demo has transfers to verify
    backup = tmp_path / "points.backup"

    result = runner.invoke(args=["backup", "--output", str(backup)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # personal data: owner only

    # Life goes on after the backup ...
    household = db.session.scalars(select(Household).order_by(Household.id)).first()
    household.head_name = "改过的名字"
    create_area(name="新县", code="NEW", level=AreaLevel.county, parent=None, actor=None)
    db.session.commit()
    changed = _snapshot()
    assert changed != before

    # ... "no" at the prompt leaves it alone ...
    result = runner.invoke(args=["restore", "--input", str(backup)], input="n\n")
    assert result.exit_code != 0
    assert _snapshot() == changed

    # ... and a restore brings back the backup's state.
    result = runner.invoke(args=["restore", "--input", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert _snapshot() == before
    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
    assert "differences: 0" in verify.output


@pytest.mark.skipif(ON_POSTGRES, reason="a second, empty database is a file on SQLite")
def test_a_backup_restores_into_an_empty_database(app, runner, tmp_path):
    load_demo()
    db.session.commit()
    before = _snapshot()
    backup = tmp_path / "points.backup"
    assert runner.invoke(args=["backup", "--output", str(backup)]).exit_code == 0

    class Elsewhere(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(f"sqlite:///{tmp_path / 'new.db'}")

    other = create_app(Elsewhere)
    other_runner = other.test_cli_runner()
    with other.app_context():  # the commands run on the current app: make it the other one
        result = other_runner.invoke(args=["restore", "--input", str(backup), "--yes"])
        assert result.exit_code == 0, result.output
        verify = other_runner.invoke(args=["ledger", "verify"])
        assert verify.exit_code == 0, verify.output
        assert f"transfers: {before[1]};" in verify.output
        assert _snapshot() == before
        db.session.remove()
        db.engine.dispose()


@needs_pg_tools
def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    load_demo()
    db.session.commit()
    before = _snapshot()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database backup\n" * 100)
    result = runner.invoke(args=["restore", "--input", str(junk), "--yes"])
    assert result.exit_code != 0
    assert "backup" in result.output or "failed" in result.output
    assert _snapshot() == before
