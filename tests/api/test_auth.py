"""Bearer tokens: issue, use, expiry, revocation; the web session on the API."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.api.models import ApiToken
from points_app.api.services import TOKEN_LIFETIME, hash_token
from points_app.core.db import utcnow
from points_app.extensions import db
from tests.api.conftest import effects
from tests.conftest import PASSWORD


def _token(client, login, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": login, "password": password})


def test_token_for_right_password_opens_me(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1", display_name="Clerk One")
    response = _token(client, "clerk1")
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == dt.timedelta(0)
    assert abs(expires - (utcnow() + TOKEN_LIFETIME)) < dt.timedelta(minutes=1)

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    data = me.get_json()
    assert data["username"] == "clerk1"
    assert data["display_name"] == "Clerk One"
    assert data["roles"][0]["role"] == "clerk"
    assert data["roles"][0]["area"]["id"] == tree["community_a"].id
    assert data["areas"] == [data["roles"][0]["area"]]
    assert "redeem" in data["permissions"]
    assert "Set-Cookie" not in me.headers


def test_token_by_phone_number(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1", phone="13812345678")
    assert _token(client, "13812345678").status_code == 200


def test_only_the_hash_of_a_token_is_stored(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1")
    raw = _token(client, "clerk1").get_json()["token"]
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hash_token(raw)
    assert raw not in {stored.token_hash}
    assert len(raw) >= 40


def test_wrong_password_is_invalid_credentials(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1")
    response = _token(client, "clerk1", "not-the-password")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"
    assert _token(client, "nobody").status_code == 401


def test_disabled_user_gets_no_token(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1", is_enabled=False)
    assert _token(client, "clerk1").status_code == 401


def test_me_without_token_is_unauthorized(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_or_malformed_token_is_unauthorized(client, app):
    for header in ("Bearer nope", "Bearer", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500, "token"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_expired_token_is_refused(client, tree, make_user, api_headers):
    user = make_user(Role.clerk, tree["community_a"])
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalars(select(ApiToken)).one()
    token.created_at = utcnow() - dt.timedelta(days=31)
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_revoked_token_stops_working_at_once(client, tree, make_user, api_headers):
    user = make_user(Role.clerk, tree["community_a"])
    headers = api_headers(user)
    other = {"Authorization": "Bearer " + _token(client, user.username).get_json()["token"]}
    response = client.delete("/api/v1/auth/token", headers=headers)
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 401
    # Only that token: the user's other token still works.
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_token_of_user_disabled_later_is_refused(client, tree, make_user, api_headers):
    user = make_user(Role.clerk, tree["community_a"])
    headers = api_headers(user)
    user.is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_use_of_a_token_is_noted(client, tree, make_user, api_headers):
    user = make_user(Role.clerk, tree["community_a"])
    headers = api_headers(user)
    assert db.session.scalars(select(ApiToken)).one().last_used_at is None
    db.session.rollback()  # the test shares the request's session; end its transaction
    client.get("/api/v1/me", headers=headers)
    db.session.rollback()  # end the request's read transaction: its snapshot predates the note
    used = db.session.scalars(select(ApiToken)).one().last_used_at
    assert used is not None and utcnow() - used < dt.timedelta(minutes=1)


def test_token_request_ignores_a_stale_authorization_header(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1")
    response = client.post(
        "/api/v1/auth/token",
        json={"username": "clerk1", "password": PASSWORD},
        headers={"Authorization": "Bearer expired-long-ago"},
    )
    assert response.status_code == 200


def test_web_session_may_read_the_api(client, tree, make_user, login_as):
    user = make_user(Role.clerk, tree["community_a"])
    login_as(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def _csrf_token(client) -> str:
    page = client.get("/account/password").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_web_session_cannot_write_through_the_api_without_csrf_token(
    app, client, tree, make_user, login_as, test_routes
):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(Role.clerk, tree["community_a"])
    login_as(user)
    response = client.post(
        "/api/v1/test/effects", json={"amount": 1}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"
    assert effects() == 0

    response = client.post(
        "/api/v1/test/effects",
        json={"amount": 1},
        headers={"Idempotency-Key": "k1", "X-CSRFToken": _csrf_token(client)},
    )
    assert response.status_code == 201
    assert effects() == 1


def test_bearer_writes_need_no_csrf_token(app, client, tree, make_user, api_headers, test_routes):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(Role.clerk, tree["community_a"])
    response = client.post(
        "/api/v1/test/effects", json={"amount": 1}, headers=api_headers(user, "k1")
    )
    assert response.status_code == 201
    token = client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
    )
    assert token.status_code == 200
