"""Who is calling the API: a bearer token, or the web session for reads and CSRF-checked writes.

Every /api/v1 route needs a signed-in user unless its handler is marked `@public`.
A request with an `Authorization` header is authenticated by that header alone; a
request without one may use the web session cookie, but then a write (POST, PUT,
PATCH, DELETE) must carry the CSRF token (`X-CSRFToken` header), as a form would, so
another site cannot make a signed-in browser change anything through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from points_app.accounts.models import User
from points_app.api.models import ApiToken
from points_app.api.openapi import API_PREFIX
from points_app.api.services import hash_token
from points_app.core.db import SAFE_METHODS, utcnow
from points_app.core.errors import DomainError
from points_app.extensions import csrf, db

F = TypeVar("F", bound=Callable[..., Any])

# last_used_at is advisory; writing it on every request would cost a write per read.
TOUCH_EVERY = dt.timedelta(minutes=5)
MAX_TOKEN_LENGTH = 200


class Unauthorized(DomainError):
    """No valid credentials: 401 `unauthorized`, with a WWW-Authenticate challenge."""

    def __init__(self, message: str):
        super().__init__("unauthorized", message, status=401)
        self.headers = {"WWW-Authenticate": 'Bearer realm="api"'}


def public(view: F) -> F:
    """Mark an /api/v1 handler as open to callers who are not signed in."""
    view.api_public = True  # type: ignore[attr-defined]
    return view


def _token_owner(raw: str, now: dt.datetime) -> tuple[int, int] | None:
    """(token id, user id) of a usable token, noting when it was last used."""
    token_hash = hash_token(raw)
    if db.session().in_transaction():
        # Someone already opened the unit of work; read within it and leave last_used_at.
        token = db.session.scalars(
            select(ApiToken).where(ApiToken.token_hash == token_hash)
        ).first()
        if token is None or not token.is_usable(now):
            return None
        return token.id, token.user_id
    # A short transaction of its own, so the request's unit of work starts clean after it.
    with db.engine.connect() as conn:
        conn.execution_options(sqlite_begin="DEFERRED")
        row = conn.execute(
            select(
                ApiToken.id,
                ApiToken.user_id,
                ApiToken.expires_at,
                ApiToken.revoked_at,
                ApiToken.last_used_at,
            ).where(ApiToken.token_hash == token_hash)
        ).first()
        conn.rollback()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
            conn.commit()
        return row.id, row.user_id


def _user_from_header(header: str) -> tuple[User, int]:
    scheme, _sep, raw = header.strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise Unauthorized(_("Send the token as: Authorization: Bearer <token>."))
    found = _token_owner(raw, utcnow())
    user = db.session.get(User, found[1]) if found else None
    if found is None or user is None or not user.is_active:
        raise Unauthorized(_("The token is not valid, or it has expired or been revoked."))
    return user, found[0]


def authenticate_api_request() -> None:
    """Before every /api/v1 request: settle `current_user`, or refuse with 401."""
    if request.url_rule is None or not request.path.startswith(API_PREFIX + "/"):
        return
    if request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "api_public", False):
        return
    # Start from nothing: an app context (and its g) may outlive a request, as in tests.
    g.pop("_login_user", None)
    g.pop("api_token_id", None)
    header = request.headers.get("Authorization")
    if header is not None:
        user, token_id = _user_from_header(header)
        # Flask-Login keeps the request's user here; the session cookie is not touched.
        g._login_user = user
        g.api_token_id = token_id
        return
    if not current_user.is_authenticated:
        raise Unauthorized(_("Sign in first: send Authorization: Bearer <token>."))
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
