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
from sqlalchemy import Select, Update, bindparam, select, update
from sqlalchemy.orm import joinedload

from points_app.accounts.models import User
from points_app.api.models import ApiToken
from points_app.api.openapi import API_PREFIX
from points_app.api.services import hash_token
from points_app.core.db import SAFE_METHODS, prepared, utcnow
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


# Every API request runs these: built once, so SQLAlchemy neither rebuilds them nor
# recomputes their cache keys (see `points_app.core.db.prepared`).
@prepared
def _token_query() -> Select[Any]:
    """The token, its user and the user's roles (with their areas), in one statement."""
    return (
        select(ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at, User)
        .join(User, User.id == ApiToken.user_id)
        .options(joinedload(User.roles))
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


@prepared
def _touch_statement() -> Update:
    return (
        update(ApiToken)
        .where(ApiToken.id == bindparam("token_id"))
        .values(last_used_at=bindparam("now"))
    )


def _touch(token_id: int, now: dt.datetime, *, own_transaction: bool) -> None:
    """Note when a token was last used (advisory: at most every TOUCH_EVERY)."""
    params = {"token_id": token_id, "now": now}
    if request.method not in SAFE_METHODS:
        # A writing request holds a writing transaction already: note it there.
        db.session.connection().execute(_touch_statement(), params)
    elif own_transaction:
        # A read keeps its transaction read-only: the note goes on a connection of its own.
        with db.engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            conn.execute(_touch_statement(), params)
            conn.commit()
    # Otherwise someone else opened the unit of work (a CLI, a test): leave the note.


def _user_from_header(header: str) -> tuple[User, int]:
    scheme, _sep, raw = header.strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise Unauthorized(_("Send the token as: Authorization: Bearer <token>."))
    now = utcnow()
    own_transaction = not db.session().in_transaction()
    row = db.session.execute(_token_query(), {"token_hash": hash_token(raw)}).unique().first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.User.is_active:
        raise Unauthorized(_("The token is not valid, or it has expired or been revoked."))
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        _touch(row.id, now, own_transaction=own_transaction)
    return row.User, row.id


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
