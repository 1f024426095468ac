"""Shared fixtures: an app per test on SQLite (a fresh file) or PostgreSQL (truncated)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import text

from points_app import create_app
from points_app.accounts.models import Role, RoleAssignment, User
from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import create_area
from points_app.config import TestConfig
from points_app.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgres")
PASSWORD = "correct-horse-9"


def pytest_report_header() -> str:
    return "database: " + ("PostgreSQL " + PG_URL.split("@")[-1] if ON_POSTGRES else "SQLite")


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[None]:
    """On PostgreSQL, build the schema once for the session."""
    if not ON_POSTGRES:
        yield
        return
    app = create_app(TestConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    yield


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_url(tmp_path: Any) -> str:
    """The database the test's app uses."""
    return PG_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(_pg_schema: None, db_url: str) -> Iterator[Flask]:
    """An app on a clean database."""
    from points_app.config import normalise_database_url

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(db_url)

    app = create_app(Cfg)

    def _forget_previous_user() -> None:
        # The test's app context outlives each request; in production every request
        # has its own, so Flask-Login's per-context user cache must not leak between them.
        g.pop("_login_user", None)

    # First of all hooks, so it never undoes what the app's own hooks settle.
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_user)

    with app.app_context():
        if ON_POSTGRES:
            _truncate_all()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if ON_POSTGRES:
            _truncate_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def tree(app: Flask) -> dict[str, Area]:
    """County > street > two communities, each with a grid and a microgrid."""
    county = create_area(name="象山县", code="C", level=AreaLevel.county, parent=None, actor=None)
    street = create_area(
        name="丹东街道", code="S", level=AreaLevel.street, parent=county, actor=None
    )
    areas: dict[str, Area] = {"county": county, "street": street}
    for key in ("a", "b"):
        community = create_area(
            name=f"社区{key.upper()}", code=f"S-{key}", level=AreaLevel.community,
            parent=street, actor=None,
        )  # fmt: skip
        grid = create_area(
            name=f"网格{key.upper()}", code=f"S-{key}-g", level=AreaLevel.grid,
            parent=community, actor=None,
        )  # fmt: skip
        micro = create_area(
            name=f"微网格{key.upper()}", code=f"S-{key}-m", level=AreaLevel.microgrid,
            parent=grid, actor=None,
        )  # fmt: skip
        areas[f"community_{key}"] = community
        areas[f"grid_{key}"] = grid
        areas[f"micro_{key}"] = micro
    db.session.commit()
    return areas


@functools.cache
def _password_hash() -> str:
    # Hash once: scrypt is slow on purpose.
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="scrypt")


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Make a user holding a role at an area: make_user(Role.clerk, area)."""
    counter = {"n": 0}

    def make(role: Role | str | None = None, area: Area | None = None, **kwargs: Any) -> User:
        counter["n"] += 1
        n = counter["n"]
        user = User(
            username=kwargs.pop("username", f"user{n}"),
            display_name=kwargs.pop("display_name", f"User {n}"),
            **kwargs,
        )
        user.password_hash = _password_hash()
        db.session.add(user)
        if role is not None:
            assert area is not None
            db.session.add(RoleAssignment(user=user, role=Role(role), area=area))
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign the test client in as a user, without going through the form."""

    def login(user: User) -> FlaskClient:
        from points_app.accounts.sessions import start_session

        # A real session row: only a browser whose session exists is signed in.
        token = start_session(user)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}.{token}"
            session["_fresh"] = True
        return client

    return login


@pytest.fixture
def api_headers(app: Flask) -> Callable[..., dict[str, str]]:
    """Headers for an /api/v1 call as a user: api_headers(user, idempotency_key=None)."""
    from points_app.api.services import issue_token

    tokens: dict[int, str] = {}

    def headers(user: User, idempotency_key: str | None = None) -> dict[str, str]:
        if user.id not in tokens:
            tokens[user.id] = issue_token(user)[1]
            db.session.commit()
        out = {"Authorization": f"Bearer {tokens[user.id]}"}
        if idempotency_key is not None:
            out["Idempotency-Key"] = idempotency_key
        return out

    return headers
