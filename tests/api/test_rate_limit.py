"""Failed sign-ins are counted in the database, per login and per client IP."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from points_app import create_app
from points_app.accounts.login_throttle import WINDOW, LoginAttempt
from points_app.accounts.models import Role
from points_app.config import TestConfig, normalise_database_url
from points_app.extensions import db
from tests.conftest import PASSWORD

LIMIT = 10
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


def _age_all_failures(by: dt.timedelta) -> None:
    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.created_at -= by
    db.session.commit()


def test_too_many_wrong_passwords_block_even_the_right_one(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(LIMIT):
        assert _token(client, "clerk1").status_code == 401
    response = _token(client, "clerk1", PASSWORD)
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "15 minutes" in error["message"]
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= WINDOW.total_seconds()
    assert error["details"]["retry_after"] == retry_after
    # Refused tries are not counted: the block ends with the window.
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == LIMIT


def test_block_lifts_when_the_failures_leave_the_window(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(LIMIT):
        _token(client, "clerk1")
    assert _token(client, "clerk1", PASSWORD).status_code == 429
    _age_all_failures(WINDOW + dt.timedelta(seconds=1))
    assert _token(client, "clerk1", PASSWORD).status_code == 200


def test_username_and_phone_share_one_counter(client, tree, make_user):
    _clerk(make_user, tree, phone="13812345678")
    for i in range(LIMIT):
        _token(client, "CLERK1" if i % 2 else "13812345678")
    assert _token(client, "clerk1", PASSWORD).status_code == 429


def test_success_clears_the_login_counter(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(LIMIT - 1):
        _token(client, "clerk1")
    assert _token(client, "clerk1", PASSWORD).status_code == 200
    for _ in range(LIMIT - 1):
        _token(client, "clerk1")
    assert _token(client, "clerk1", PASSWORD).status_code == 200


def test_one_ip_guessing_many_logins_is_blocked(app, client, tree, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 5
    _clerk(make_user, tree)
    for i in range(5):
        assert _token(client, f"guess{i}", ip="10.0.0.9").status_code == 401
    assert _token(client, "clerk1", PASSWORD, ip="10.0.0.9").status_code == 429
    assert _token(client, "clerk1", PASSWORD, ip="10.0.0.10").status_code == 200


def test_the_count_is_shared_by_every_worker(client, tree, make_user, db_url):
    """A second app on the same database (another gunicorn worker) sees the block."""
    _clerk(make_user, tree)
    for _ in range(LIMIT):
        _token(client, "clerk1")

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(db_url)

    other = create_app(Cfg)
    try:
        response = _token(other.test_client(), "clerk1", PASSWORD)
        assert response.status_code == 429
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_web_sign_in_form_is_limited_too(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(LIMIT):
        response = client.post("/login", data={"login": "clerk1", "password": "wrong-one"})
        assert response.status_code == 200
    response = client.post("/login", data={"login": "clerk1", "password": PASSWORD})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many tries. Wait 15 minutes and try again." in page
    assert client.get("/").status_code == 302  # not signed in
    # The API and the form count together.
    assert _token(client, "clerk1", PASSWORD, ip="127.0.0.1").status_code == 429


def test_web_sign_in_success_still_works_below_the_limit(client, tree, make_user):
    _clerk(make_user, tree)
    for _ in range(LIMIT - 1):
        client.post("/login", data={"login": "clerk1", "password": "wrong-one"})
    response = client.post("/login", data={"login": "clerk1", "password": PASSWORD})
    assert response.status_code == 302
