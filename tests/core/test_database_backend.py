"""Each run of the suite is on the database it claims to be on."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from points_app.extensions import db


def test_suite_runs_on_the_database_it_was_asked_for(app):
    # `make test` sets POINTS_EXPECT_DB for each run, so a PostgreSQL run that silently
    # fell back to SQLite (or the reverse) fails here instead of passing unseen.
    expected = os.environ.get("POINTS_EXPECT_DB")
    if not expected:
        pytest.skip("POINTS_EXPECT_DB is not set (make test sets it)")
    assert db.engine.dialect.name == expected
    if expected == "postgresql":
        version = db.session.execute(text("SHOW server_version_num")).scalar_one()
        assert int(version) >= 130000
