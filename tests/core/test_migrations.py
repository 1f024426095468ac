"""The Alembic migrations build exactly the schema the models describe.

Every test here starts from an EMPTY database (a new SQLite file, or on PostgreSQL a
new schema), so it covers whatever migration is at head when the suite runs.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

import points_app
from points_app import create_app
from points_app.config import TestConfig, normalise_database_url
from points_app.extensions import db
from tests.conftest import ON_POSTGRES, PG_URL

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"


def import_every_module() -> None:
    """Import every module of the app, so every model is in the metadata."""
    for info in pkgutil.walk_packages(points_app.__path__, "points_app."):
        importlib.import_module(info.name)


@pytest.fixture
def empty_db_app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose database has no tables at all."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    schema = ""
    if ON_POSTGRES:
        url = normalise_database_url(PG_URL)
        schema = f"mig_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = options

    app = create_app(Cfg)
    import_every_module()
    with app.app_context():
        if ON_POSTGRES:
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT current_schema()")).scalar_one() == schema
        assert _tables() == set(), "the database should start empty"
        yield app
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _drift() -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "target_metadata": db.metadata}
        )
        return list(compare_metadata(context, db.metadata))


def _script() -> ScriptDirectory:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_migrations_have_one_head():
    try:
        heads = _script().get_heads()
    except KeyError as missing:
        pytest.fail(f"a migration's down_revision names {missing}, which is not in migrations/")
    assert len(heads) == 1, (
        f"migrations branch into heads {heads}: point the newer one's down_revision "
        "at the other (or add a merge revision)"
    )


def test_create_app_sees_every_model():
    # Alembic and create_all see only the models imported by create_app(); a model
    # module nobody imports gets no migration and no table, and fails only at run time.
    script = (
        "import importlib, json, pkgutil, points_app\n"
        "from points_app.config import TestConfig\n"
        "from points_app.extensions import db\n"
        "points_app.create_app(TestConfig)\n"
        "seen = set(db.metadata.tables)\n"
        "for info in pkgutil.walk_packages(points_app.__path__, 'points_app.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(set(db.metadata.tables) - seen)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    unseen = json.loads(result.stdout.strip().splitlines()[-1])
    assert unseen == [], (
        f"tables {unseen} belong to model modules that create_app() does not import: "
        "add them to _register_models() in points_app/__init__.py"
    )


def test_upgrade_of_an_empty_database_matches_the_models(empty_db_app):
    upgrade()

    assert _drift() == []
    model_tables = {table.name for table in db.metadata.sorted_tables}
    assert _tables() == model_tables | {"alembic_version"}
    with db.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == _script().get_current_head()


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_db_app):
    upgrade()
    downgrade(revision="base")

    assert _tables() <= {"alembic_version"}
    if ON_POSTGRES:
        # A migration that creates a type or sequence must drop it too, or the next
        # upgrade fails on "already exists".
        with db.engine.connect() as conn:
            leftovers = conn.execute(
                text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
                    " WHERE n.nspname = current_schema() AND t.typtype = 'e'"
                )
            ).all()
        assert leftovers == []

    upgrade()
    assert _drift() == []


def test_every_migration_steps_down_and_up_one_at_a_time(empty_db_app):
    # Walk head -> base one revision at a time, then back, so each downgrade() is run.
    revisions = [rev.revision for rev in _script().walk_revisions()]  # head first
    upgrade()
    for _rev in revisions:
        downgrade(revision="-1")
    assert _tables() <= {"alembic_version"}
    for _rev in reversed(revisions):
        upgrade(revision="+1")
    assert _drift() == []


def test_work_unit_texts_become_units_and_come_back_on_downgrade(empty_db_app):
    upgrade(revision="0008_recognition")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO areas (id, name, code, level, path) VALUES "
                "(1, '县', 'C', 'county', '/1/'), (2, '街', 'S', 'street', '/1/2/'), "
                "(3, '社区A', 'S-a', 'community', '/1/2/3/'), "
                "(4, '社区B', 'S-b', 'community', '/1/2/4/')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO organisations (name, kind, area_id, created_at) VALUES "
                "('县医院', 'social_organisation', 3, CURRENT_TIMESTAMP)"
            )
        )
        hospital = conn.execute(text("SELECT id FROM organisations")).scalar_one()
        rows = [
            (1, "13900000001", 3, "供电公司"),
            (2, "13900000002", 3, " 供电公司 "),
            (3, "13900000003", 3, "县医院"),
            (4, "13900000004", 4, "供电公司"),
            (5, "13900000005", 3, None),
            (6, "13900000006", 3, "   "),
        ]
        for vid, phone, community, unit in rows:
            conn.execute(
                text(
                    "INSERT INTO volunteers (id, real_name, phone, home_community_id, "
                    "is_party_member, work_unit, created_at) "
                    "VALUES (:id, '某人', :phone, :c, true, :u, CURRENT_TIMESTAMP)"
                ),
                {"id": vid, "phone": phone, "c": community, "u": unit},
            )  # fmt: skip
    upgrade(revision="0009_work_units")
    with db.engine.connect() as conn:
        units = conn.execute(
            text(
                "SELECT v.id, o.name, o.kind, o.area_id FROM volunteers v "
                "LEFT JOIN organisations o ON o.id = v.work_unit_id ORDER BY v.id"
            )
        ).all()
        ids = dict(conn.execute(text("SELECT id, work_unit_id FROM volunteers")).all())
    assert [tuple(u[1:]) for u in units] == [
        ("供电公司", "unit", 3), ("供电公司", "unit", 3), ("县医院", "social_organisation", 3),
        ("供电公司", "unit", 4), (None, None, None), (None, None, None),
    ]  # fmt: skip
    assert ids[1] == ids[2] != ids[4]  # same text in one community: one unit
    assert ids[3] == hospital  # the community's organisation of that name is used
    downgrade(revision="0008_recognition")
    with db.engine.connect() as conn:
        texts = conn.execute(text("SELECT work_unit FROM volunteers ORDER BY id")).scalars().all()
        kinds = conn.execute(text("SELECT kind FROM organisations ORDER BY id")).scalars().all()
    assert texts == ["供电公司", "供电公司", "县医院", "供电公司", None, None]
    assert kinds == ["social_organisation"]  # the units made by the upgrade are gone
