"""API token and idempotency-record services. They flush, never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete

from points_app.accounts.models import User
from points_app.api.models import ApiToken, IdempotencyRecord
from points_app.core.db import utcnow
from points_app.extensions import db

TOKEN_LIFETIME = dt.timedelta(days=30)
# Records must outlive any client's retries by far.
IDEMPOTENCY_KEEP = dt.timedelta(days=30)


def hash_token(raw: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def issue_token(user: User, *, now: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a bearer token for the user; return the row and the raw token (shown once)."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, token_hash=hash_token(raw), created_at=now, expires_at=now + TOKEN_LIFETIME
    )
    db.session.add(token)
    db.session.flush()
    return token, raw


def revoke_token(token: ApiToken, *, now: dt.datetime | None = None) -> None:
    """Make a token stop working at once."""
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    db.session.flush()


def purge_idempotency_records(before: dt.datetime) -> int:
    """Delete idempotency records created before `before`; return how many went."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
