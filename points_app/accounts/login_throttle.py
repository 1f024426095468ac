"""Slow down password guessing: failed sign-ins are counted per login and per client IP.

The counts live in the database, not in process memory, so every worker on every
machine sees the same numbers. A login (or an IP) that failed too often within the
window is refused without its password being checked until the oldest counted
failure leaves the window.
"""

from __future__ import annotations

import datetime as dt
import math

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import Index, String, delete, select
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from points_app.accounts.models import User
from points_app.accounts.services import authenticate, find_user_by_login
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import Model, db

WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 10
# Higher than per login: a community office shares one public IP.
MAX_FAILURES_PER_IP = 50
SUBJECT_LENGTH = 100
IP_LENGTH = 45


class LoginAttempt(Model):
    """One failed sign-in: which login it was for and where it came from."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_subject_created_at", "subject", "created_at"),
        Index("ix_login_attempts_ip_created_at", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    ip: Mapped[str] = mapped_column(String(IP_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class RateLimited(DomainError):
    """Too many failed sign-ins; `retry_after` says how many seconds to wait."""

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        message = ngettext(
            "Too many tries. Wait %(num)d minute and try again.",
            "Too many tries. Wait %(num)d minutes and try again.",
            minutes,
        )
        super().__init__("rate_limited", message, status=429, retry_after=retry_after)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def login_subject(login: str) -> str:
    """The name failures are counted under: the user's username, or the login as typed.

    A user who signs in by username or by phone has one counter, not two.
    """
    user = find_user_by_login(login)
    subject = user.username if user is not None else login.strip()
    return subject.lower()[:SUBJECT_LENGTH]


def _seconds_blocked(
    column: InstrumentedAttribute[str], value: str, limit: int, now: dt.datetime
) -> int:
    """Seconds until fewer than `limit` failures for `value` remain in the window (0: free)."""
    # The limit-th most recent failure: once it leaves the window, one more try is allowed.
    stmt = (
        select(LoginAttempt.created_at)
        .where(column == value, LoginAttempt.created_at > now - WINDOW)
        .order_by(LoginAttempt.created_at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    failed_at = db.session.scalar(stmt)
    if failed_at is None:
        return 0
    return max(1, math.ceil((failed_at + WINDOW - now).total_seconds()))


def check_login_allowed(subject: str, ip: str, *, now: dt.datetime | None = None) -> None:
    """Raise RateLimited if the login or the IP failed too often within the window."""
    now = now or utcnow()
    waits = [
        _seconds_blocked(
            LoginAttempt.subject, subject, _limit("LOGIN_MAX_FAILURES", MAX_FAILURES_PER_LOGIN), now
        )
    ]
    if ip:
        waits.append(
            _seconds_blocked(
                LoginAttempt.ip,
                ip[:IP_LENGTH],
                _limit("LOGIN_MAX_FAILURES_PER_IP", MAX_FAILURES_PER_IP),
                now,
            )
        )
    wait = max(waits)
    if wait:
        raise RateLimited(wait)


def record_login_failure(subject: str, ip: str, *, now: dt.datetime | None = None) -> None:
    """Count one failed sign-in."""
    db.session.add(LoginAttempt(subject=subject, ip=ip[:IP_LENGTH], created_at=now or utcnow()))
    db.session.flush()


def clear_login_failures(subject: str) -> None:
    """Forget the failures of a login after it signed in (the IP's failures stay)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.subject == subject))


def purge_login_attempts(before: dt.datetime) -> int:
    """Delete failures older than `before`; return how many went."""
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def sign_in(login: str, password: str, ip: str, *, now: dt.datetime | None = None) -> User | None:
    """Check the throttle, then the password; count a failure; return the user or None.

    Raises RateLimited (nothing recorded) when the login or IP is blocked. The caller
    commits in both other cases, so that a failure is counted.
    """
    now = now or utcnow()
    subject = login_subject(login)
    check_login_allowed(subject, ip, now=now)
    user = authenticate(login, password)
    if user is None:
        record_login_failure(subject, ip, now=now)
        return None
    clear_login_failures(subject)
    return user
