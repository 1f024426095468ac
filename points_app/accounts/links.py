"""One-time set-password links: made by an organiser, used once by the person, then dead.

A link carries `<link id>.<secret>`, signed with the app's key; the database keeps only a
SHA-256 hash of the secret, so a copy of the database cannot be turned into links. A new
link for a user ends every older one; setting the password ends the link used.
They flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer
from sqlalchemy import select, update

from points_app.accounts.models import LinkPurpose, PasswordLink, User
from points_app.accounts.services import check_password_strength
from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db

LIFETIME = {
    LinkPurpose.welcome: dt.timedelta(days=14),
    LinkPurpose.reset: dt.timedelta(days=2),
}


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="password-link", sep="~")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None


def issue_password_link(
    user: User, *, purpose: LinkPurpose, actor: Any, now: dt.datetime | None = None
) -> tuple[PasswordLink, str]:
    """Make a one-time link for the user to set a password; return it and its token.

    The token is shown once (the caller turns it into a URL and a QR code); every older
    unused link of the user stops working.
    """
    now = now or utcnow()
    end_open_links(user, now=now)
    secret = secrets.token_urlsafe(24)
    link = PasswordLink(
        user_id=user.id,
        secret_hash=_hash(secret),
        purpose=purpose,
        created_by_id=_actor_id(actor),
        created_at=now,
        expires_at=now + LIFETIME[purpose],
    )
    db.session.add(link)
    db.session.flush()
    record(actor, f"password_link.{purpose.value}", "user", user.id, link_id=link.id)
    token = _signer().sign(f"{link.id}.{secret}").decode()
    return link, token


def link_url(token: str) -> str:
    """The absolute URL of the set-password page for a token."""
    return url_for("accounts.set_password", token=token, _external=True)


def end_open_links(user: User, *, now: dt.datetime | None = None) -> None:
    """Make every unused link of a user unusable."""
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def _dead_link() -> DomainError:
    return DomainError(
        "link_not_valid",
        _l(
            "This sign-in link has already been used, has expired or is not complete. "
            "Ask an organiser of your community for a new one."
        ),
        410,
    )


def find_password_link(token: str, *, now: dt.datetime | None = None) -> PasswordLink:
    """The usable link a token names; refuse a forged, used or expired one (410)."""
    try:
        body = _signer().unsign((token or "").strip()[:300]).decode()
    except BadSignature:
        raise _dead_link() from None
    raw_id, _sep, secret = body.partition(".")
    if not raw_id.isdigit() or not secret:
        raise _dead_link()
    link = db.session.get(PasswordLink, int(raw_id))
    if link is None or not hmac.compare_digest(link.secret_hash, _hash(secret)):
        raise _dead_link()
    if not link.is_usable(now or utcnow()) or not link.user.is_enabled:
        raise _dead_link()
    return link


def use_password_link(token: str, password: str, *, now: dt.datetime | None = None) -> User:
    """Set the password of the link's user and end the link (it works once)."""
    now = now or utcnow()
    stmt = select(PasswordLink).where(PasswordLink.id == find_password_link(token, now=now).id)
    if db.session.connection().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    link = db.session.scalars(stmt.execution_options(populate_existing=True)).one()
    if not link.is_usable(now):  # the same link used twice at once: the second loses
        raise _dead_link()
    check_password_strength(password)
    user = link.user
    user.set_password(password)
    user.last_login_at = now
    end_open_links(user, now=now)
    db.session.expire(link)
    record(user, "user.set_password_by_link", "user", user.id, link_id=link.id)
    db.session.flush()
    return user
