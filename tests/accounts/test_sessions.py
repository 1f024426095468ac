"""Sessions are revocable: sign-out, password change, sign out everywhere, disabling."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from points_app.accounts.models import Role, User
from points_app.accounts.sessions import UserSession
from points_app.api.models import ApiToken
from points_app.api.services import issue_token
from points_app.core.audit import AuditEntry
from points_app.extensions import db
from tests.conftest import PASSWORD

NEW_PASSWORD = "another-horse-42"


@pytest.fixture
def clerk(tree, make_user) -> User:
    return make_user(Role.clerk, tree["community_a"], username="clerk1")


def _sign_in(app: Any, remember: bool = True, password: str = PASSWORD) -> FlaskClient:
    browser = app.test_client()
    data = {"login": "clerk1", "password": password}
    if remember:
        data["remember"] = "y"
    response = browser.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def _is_signed_in(browser: FlaskClient) -> bool:
    return browser.get("/").status_code == 200


def _with_cookie(app: Any, name: str, value: str) -> FlaskClient:
    """A new browser holding only one cookie (copied, say, from a stolen phone)."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    return browser


def _cookie(browser: FlaskClient, name: str) -> str:
    cookie = browser.get_cookie(name)
    assert cookie is not None, name
    return cookie.value


def _session_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )


def test_remember_cookie_differs_at_each_sign_in(app, clerk):
    first = _cookie(_sign_in(app), "remember_token")
    second = _cookie(_sign_in(app), "remember_token")

    assert first != second
    assert _is_signed_in(_with_cookie(app, "remember_token", first))
    assert _is_signed_in(_with_cookie(app, "remember_token", second))


def test_logout_ends_the_session_cookie_and_the_remember_cookie(app, clerk):
    browser = _sign_in(app)
    session_cookie = _cookie(browser, "session")
    remember_cookie = _cookie(browser, "remember_token")
    assert _is_signed_in(_with_cookie(app, "session", session_cookie))

    browser.post("/logout")

    assert not _is_signed_in(browser)
    assert not _is_signed_in(_with_cookie(app, "session", session_cookie))
    assert not _is_signed_in(_with_cookie(app, "remember_token", remember_cookie))


def test_logout_ends_only_that_browser(app, clerk):
    phone, laptop = _sign_in(app), _sign_in(app)

    phone.post("/logout")

    assert not _is_signed_in(phone)
    assert _is_signed_in(laptop)
    assert _session_count(clerk) == 1


def test_password_change_signs_out_every_other_browser_but_keeps_this_one(app, clerk):
    phone, laptop = _sign_in(app), _sign_in(app)
    old_remember = _cookie(phone, "remember_token")
    token = issue_token(clerk)[1]
    db.session.commit()

    response = laptop.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert _is_signed_in(laptop)
    assert not _is_signed_in(phone)
    assert not _is_signed_in(_with_cookie(app, "remember_token", old_remember))
    assert _session_count(clerk) == 1
    # API tokens live on unless asked.
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )


def test_password_change_may_revoke_the_api_tokens_too(app, clerk):
    laptop = _sign_in(app)
    token = issue_token(clerk)[1]
    db.session.commit()

    laptop.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "api_tokens": "y"},
    )

    answer = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_sign_out_everywhere_needs_confirmation(app, clerk):
    laptop = _sign_in(app)

    response = laptop.post("/account/sessions", data={})

    assert response.status_code == 200 and "Tick the box" in response.get_data(as_text=True)
    assert _is_signed_in(laptop)


def test_sign_out_everywhere_ends_every_session_and_when_asked_the_api_tokens(app, clerk):
    phone, laptop = _sign_in(app), _sign_in(app)
    remember = _cookie(phone, "remember_token")
    issue_token(clerk)
    issue_token(clerk)
    db.session.commit()
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "this browser" in page and page.count("<tr>") == 3  # header + two browsers

    response = laptop.post("/account/sessions", data={"confirm": "y", "api_tokens": "y"})

    assert response.status_code == 302
    assert not _is_signed_in(laptop) and not _is_signed_in(phone)
    assert not _is_signed_in(_with_cookie(app, "remember_token", remember))
    assert _session_count(clerk) == 0
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == clerk.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.sign_out_everywhere")
    ).one()
    assert entry.detail == {"sessions": 2, "api_tokens": 2}


def test_a_disabled_user_is_out_at_once(app, clerk, tree, make_user, login_as):
    browser = _sign_in(app)
    admin = make_user(Role.admin, tree["county"])
    login_as(admin).post(f"/users/{clerk.id}/enabled")

    assert not _is_signed_in(browser)
    assert _session_count(clerk) == 0


def test_a_session_naming_only_a_user_id_signs_nobody_in(app, clerk):
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(clerk.id)
        session["_fresh"] = True

    assert not _is_signed_in(browser)


def test_a_forged_session_token_signs_nobody_in(app, clerk):
    _sign_in(app)
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{clerk.id}.not-a-real-token"

    assert not _is_signed_in(browser)
