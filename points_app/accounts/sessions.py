"""Signed-in browsers, kept in the database so that any of them can be signed out.

Each sign-in makes a `UserSession` row and a random token; the web session and the
remember-me cookie name the user as ``"<user id>.<token>"`` (`User.get_id`), so the
remember-me cookie differs at every sign-in. Only the token's SHA-256 is stored. A
request is signed in only while its row exists: signing out deletes that row; a password
change, "sign out everywhere" or disabling the user deletes all of the user's rows (and,
when asked, revokes their API tokens). Nothing lives in process memory, so this holds
across workers and machines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import current_app
from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from points_app.accounts.models import User
from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.extensions import Model, db

# A browser that did not ask to be remembered is signed out after this, even if it stays open.
SESSION_LIFETIME = dt.timedelta(days=1)
USER_AGENT_LENGTH = 200


class UserSession(Model):
    """One signed-in browser; deleting the row signs it out, remember-me cookie included."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_remembered: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_LENGTH), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(is_remembered: bool) -> dt.timedelta:
    if is_remembered:
        return dt.timedelta(seconds=int(current_app.config["REMEMBER_COOKIE_DURATION"]))
    return SESSION_LIFETIME


def start_session(user: User, *, remember: bool = False, ip: str = "", user_agent: str = "") -> str:
    """Record a new signed-in browser for the user; return its token (also on `user`)."""
    token = secrets.token_urlsafe(24)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(token),
            is_remembered=remember,
            ip=ip[:45],
            user_agent=user_agent[:USER_AGENT_LENGTH],
        )
    )
    # Forget the user's sessions that have run out, while we are here.
    oldest = utcnow() - _lifetime(True)
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < oldest)
    )
    db.session.flush()
    user.session_token = token
    return token


def user_of_session(session_id: str) -> User | None:
    """The enabled-or-not user a ``"<user id>.<token>"`` names, if that session still exists."""
    user_id, _, token = session_id.partition(".")
    if not token or not user_id.isdigit():
        return None
    row = db.session.execute(
        select(User, UserSession.created_at, UserSession.is_remembered)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _hash(token), User.id == int(user_id))
    ).first()
    if row is None:
        return None
    user, created_at, is_remembered = row
    if created_at + _lifetime(is_remembered) < utcnow():
        return None
    user.session_token = token
    return user


def end_session(user: Any) -> None:
    """Sign out the browser the user's current session token names."""
    token = getattr(user, "session_token", None)
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _hash(token)))
        db.session.flush()


def end_all_sessions(user: User, *, actor: Any, revoke_api_tokens: bool = False) -> int:
    """Sign the user out of every browser (and, if asked, revoke their API tokens); audited.

    Return how many browser sessions ended.
    """
    from points_app.api.models import ApiToken

    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    ended = int(getattr(result, "rowcount", 0) or 0)
    revoked = 0
    if revoke_api_tokens:
        revoked_result = db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        revoked = int(getattr(revoked_result, "rowcount", 0) or 0)
    record(actor, "user.sign_out_everywhere", "user", user.id, sessions=ended, api_tokens=revoked)
    db.session.flush()
    user.session_token = None
    return ended


def sessions_of(user: User) -> list[UserSession]:
    """The user's signed-in browsers, newest first."""
    stmt = (
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
    )
    return list(db.session.scalars(stmt))


def is_remembered(user: Any) -> bool:
    """True if the browser making this request asked to be remembered at sign-in."""
    token = getattr(user, "session_token", None)
    if not token:
        return False
    stmt = select(UserSession.is_remembered).where(UserSession.token_hash == _hash(token))
    return bool(db.session.scalar(stmt))


def is_current(session_row: UserSession, user: Any) -> bool:
    """True if the row is the session of the browser making this request."""
    token = getattr(user, "session_token", None)
    return bool(token) and session_row.token_hash == _hash(str(token))
