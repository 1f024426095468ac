"""Failed sign-ins bring growing delays per login and address, counted atomically in the DB."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from points_app import create_app
from points_app.accounts import login_throttle
from points_app.accounts.login_throttle import (
    LoginThrottle,
    RateLimited,
    check_sign_in,
    claim_sign_in,
    delay_after,
)
from points_app.accounts.models import Role
from points_app.config import TestConfig, normalise_database_url
from points_app.core.db import utcnow
from points_app.extensions import db
from tests.concurrency import run_together
from tests.conftest import ON_POSTGRES, PASSWORD, PG_URL, _truncate_all

FREE = 5
# These tests check passwords dozens of times; a cheap hash keeps them quick.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


def _clerk(make_user, tree, **kwargs):
    user = make_user(Role.clerk, tree["community_a"], username="clerk1", **kwargs)
    user.password_hash = CHEAP_HASH
    db.session.commit()
    return user


def _token(client, login, password="wrong-password", ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"username": login, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def _wait_out_every_delay() -> None:
    """As if the client waited for the delay (the failures themselves stay counted)."""
    db.session.execute(
        update(LoginThrottle).values(blocked_until=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()


def test_after_the_free_failures_even_the_right_password_must_wait(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE):
        assert _token(client, "clerk1").status_code == 401

    response = _token(client, "clerk1", PASSWORD)

    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"] == "Too many tries. Wait 2 seconds and try again."
    assert response.headers["Retry-After"] == "2" and error["details"]["retry_after"] == 2
    pair = db.session.scalars(select(LoginThrottle).where(LoginThrottle.kind == "pair")).one()
    assert pair.failures == FREE  # the refused try was not counted


def test_each_further_failure_doubles_the_wait(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE):
        _token(client, "clerk1")
    waits = []
    for _ in range(4):
        _wait_out_every_delay()
        assert _token(client, "clerk1").status_code == 401
        waits.append(int(_token(client, "clerk1").headers["Retry-After"]))

    assert waits == [4, 8, 16, 32]
    _wait_out_every_delay()
    assert _token(client, "clerk1", PASSWORD).status_code == 200


def test_the_wait_is_capped(app):
    with app.test_request_context():
        assert [delay_after(n, "pair") for n in (4, 5, 6, 12, 13, 40)] == [0, 2, 4, 256, 300, 300]
        assert delay_after(60, "login") == 60


def test_a_guesser_elsewhere_does_not_lock_the_clerk_out(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE):
        _token(client, "clerk1", ip="203.0.113.9")
    assert _token(client, "clerk1", PASSWORD, ip="203.0.113.9").status_code == 429

    assert _token(client, "clerk1", PASSWORD, ip="10.0.0.1").status_code == 200


def test_a_guesser_at_many_addresses_meets_the_per_login_delay(app, client, tree, make_user):
    app.config["LOGIN_FREE_FAILURES_PER_LOGIN"] = 8
    _clerk(make_user, tree)
    for n in range(8):
        assert _token(client, "clerk1", ip=f"203.0.113.{n}").status_code == 401

    response = _token(client, "clerk1", PASSWORD, ip="10.0.0.1")

    assert response.status_code == 429 and int(response.headers["Retry-After"]) <= 60


def test_username_and_phone_share_one_counter(client, tree, make_user):
    _clerk(make_user, tree, phone="13812345678")
    for i in range(FREE):
        _token(client, "CLERK1" if i % 2 else "13812345678")
    assert _token(client, "clerk1", PASSWORD).status_code == 429


def test_success_clears_the_login_counters(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE - 1):
        _token(client, "clerk1")
    assert _token(client, "clerk1", PASSWORD).status_code == 200
    for _ in range(FREE - 1):
        _token(client, "clerk1")
    assert _token(client, "clerk1", PASSWORD).status_code == 200


def test_failures_older_than_the_window_are_forgotten(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE):
        _token(client, "clerk1")
    old = utcnow() - login_throttle.WINDOW - dt.timedelta(seconds=1)
    db.session.execute(update(LoginThrottle).values(last_failure_at=old, blocked_until=old))
    db.session.commit()

    assert _token(client, "clerk1").status_code == 401
    pair = db.session.scalars(select(LoginThrottle).where(LoginThrottle.kind == "pair")).one()
    assert pair.failures == 1 and pair.blocked_until <= utcnow()


def test_one_address_guessing_many_logins_is_slowed(app, client, tree, make_user):
    app.config["LOGIN_FREE_FAILURES_PER_IP"] = 5
    _clerk(make_user, tree)
    for i in range(5):
        assert _token(client, f"guess{i}", ip="10.0.0.9").status_code == 401
    assert _token(client, "clerk1", PASSWORD, ip="10.0.0.9").status_code == 429
    assert _token(client, "clerk1", PASSWORD, ip="10.0.0.10").status_code == 200


def test_the_count_is_shared_by_every_worker(client, tree, make_user, db_url):
    """A second app on the same database (another gunicorn worker) sees the wait."""
    _clerk(make_user, tree)
    for _ in range(FREE):
        _token(client, "clerk1")

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(db_url)

    other = create_app(Cfg)
    try:
        assert _token(other.test_client(), "clerk1", PASSWORD).status_code == 429
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_web_sign_in_form_is_limited_too_and_counts_with_the_api(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE):
        response = client.post("/login", data={"login": "clerk1", "password": "wrong-one"})
        assert response.status_code == 200
    response = client.post("/login", data={"login": "clerk1", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many tries. Wait 2 seconds and try again." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    assert _token(client, "clerk1", PASSWORD, ip="127.0.0.1").status_code == 429


def test_web_sign_in_success_still_works_below_the_limit(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(FREE - 1):
        client.post("/login", data={"login": "clerk1", "password": "wrong-one"})
    response = client.post("/login", data={"login": "clerk1", "password": PASSWORD})
    assert response.status_code == 302


# --- many workers at once ------------------------------------------------------------------

GUESSERS = 40


@pytest.fixture
def race_app(_pg_schema: None, tmp_path: Any) -> Iterator[Flask]:
    """An app whose pool holds a connection for every guesser at once."""
    url = PG_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'race.db'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": GUESSERS + 5, "max_overflow": 0}
        # Long waits: no try may slip in because the earlier ones took a while.
        LOGIN_DELAY_BASE = 600

    app = create_app(Cfg)
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


@pytest.mark.slow
def test_forty_parallel_guesses_get_exactly_the_free_number_of_password_checks(
    race_app, monkeypatch
):
    from points_app.accounts.models import User

    db.session.add(User(username="clerk1", display_name="Clerk", password_hash=CHEAP_HASH))
    db.session.commit()
    checks = Counter[str]()
    lock = threading.Lock()
    real_authenticate = login_throttle.authenticate

    def counting_authenticate(login: str, password: str) -> Any:
        with lock:
            checks["password"] += 1
        return real_authenticate(login, password)

    monkeypatch.setattr(login_throttle, "authenticate", counting_authenticate)

    def guess(i: int) -> str:
        try:
            attempt = claim_sign_in("clerk1", "198.51.100.7")
            db.session.commit()
        except RateLimited:
            db.session.rollback()
            return "rate_limited"
        user = check_sign_in(attempt, f"wrong-{i}")
        db.session.commit()
        return "ok" if user else "wrong"

    results = run_together(race_app, GUESSERS, guess)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(results) == {"wrong": FREE, "rate_limited": GUESSERS - FREE}
    assert checks["password"] == FREE
    pair = db.session.scalars(select(LoginThrottle).where(LoginThrottle.kind == "pair")).one()
    assert pair.failures == FREE
