"""Slow down password guessing with growing delays, counted atomically in the database.

Failures are counted for three keys at once: the login with the client address (the
tight one: a guesser at one address), the login alone (a guesser at many addresses)
and the address alone (one address guessing many logins). Each key has a number of
free failures; after those, every further try must wait twice as long as the one
before (2 s, 4 s, 8 s …, capped), counted from the last failure. There is no long
lockout that a stranger could use to keep a clerk out before the store opens: the
clerk at their own counter meets at most the per-login cap (a minute), and a success
clears the login's counters. Failures older than the window are forgotten.

Every try claims its place before the password is checked: one UPDATE per key that
adds the try and succeeds only while the key is not waiting, committed before the
check. The UPDATE locks the row (PostgreSQL re-reads it after a concurrent commit;
SQLite writers queue behind BEGIN IMMEDIATE), so however many workers on however many
machines try at once, exactly the free number of password checks happen.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import Index, String, UniqueConstraint, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from points_app.accounts.models import User
from points_app.accounts.services import authenticate, find_user_by_login
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import Model, db

WINDOW = dt.timedelta(minutes=15)
SUBJECT_LENGTH = 100
IP_LENGTH = 45
KEY_LENGTH = SUBJECT_LENGTH + IP_LENGTH + 1

# (free failures, cap of the wait in seconds) per kind of key; config may override.
POLICIES: dict[str, tuple[str, int, str, int]] = {
    "pair": ("LOGIN_FREE_FAILURES", 5, "LOGIN_MAX_DELAY", 300),
    "login": ("LOGIN_FREE_FAILURES_PER_LOGIN", 20, "LOGIN_MAX_DELAY_PER_LOGIN", 60),
    # Higher than per login: a community office shares one public address.
    "ip": ("LOGIN_FREE_FAILURES_PER_IP", 50, "LOGIN_MAX_DELAY_PER_IP", 300),
}


class LoginThrottle(Model):
    """The recent failed sign-ins of one key (a login, an address, or both) and its wait."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_login_throttles_last_failure_at", "last_failure_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime | None]
    blocked_until: Mapped[dt.datetime | None]


class RateLimited(DomainError):
    """Too many failed sign-ins; `retry_after` says how many seconds to wait."""

    def __init__(self, retry_after: int):
        if retry_after < 60:
            message = ngettext(
                "Too many tries. Wait %(num)d second and try again.",
                "Too many tries. Wait %(num)d seconds and try again.",
                retry_after,
            )
        else:
            minutes = math.ceil(retry_after / 60)
            message = ngettext(
                "Too many tries. Wait %(num)d minute and try again.",
                "Too many tries. Wait %(num)d minutes and try again.",
                minutes,
            )
        super().__init__("rate_limited", message, status=429, retry_after=retry_after)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Attempt:
    """A claimed try: the keys it was counted under, the login as typed."""

    login: str
    keys: tuple[tuple[str, str], ...]


def login_subject(login: str) -> str:
    """The name failures are counted under: the user's username, or the login as typed.

    A user who signs in by username or by phone has one counter, not two.
    """
    user = find_user_by_login(login)
    subject = user.username if user is not None else login.strip()
    return subject.lower()[:SUBJECT_LENGTH]


def _keys(subject: str, ip: str) -> tuple[tuple[str, str], ...]:
    ip = ip[:IP_LENGTH]
    keys = [("pair", f"{subject}|{ip}"), ("login", subject)]
    if ip:
        keys.append(("ip", ip))
    return tuple(sorted(keys))  # one order everywhere: no two workers lock in opposite order


def _policy(kind: str) -> tuple[int, int]:
    free_name, free, cap_name, cap = POLICIES[kind]
    config = current_app.config
    return int(config.get(free_name, free)), int(config.get(cap_name, cap))


def delay_after(failures: int, kind: str) -> int:
    """Seconds a key must wait after its `failures`-th recent failure (0: none)."""
    free, cap = _policy(kind)
    if failures < free:
        return 0
    base = int(current_app.config.get("LOGIN_DELAY_BASE", 2))
    return int(min(base * 2 ** (failures - free), cap))


def _ensure_rows(keys: tuple[tuple[str, str], ...]) -> None:
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LoginThrottle).values([{"kind": k, "key": v, "failures": 0} for k, v in keys])
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=["kind", "key"]))


def _claim(kind: str, key: str, now: dt.datetime) -> int | None:
    """Count one try under a key unless it is waiting; return its failures, or None."""
    row = (LoginThrottle.kind == kind) & (LoginThrottle.key == key)
    forgotten = LoginThrottle.last_failure_at < now - WINDOW
    result = db.session.execute(
        update(LoginThrottle)
        .where(row, (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until <= now))
        .values(
            failures=case((forgotten, 1), else_=LoginThrottle.failures + 1),
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return None
    failures = int(db.session.scalar(select(LoginThrottle.failures).where(row)) or 0)
    wait = delay_after(failures, kind)
    if wait:
        db.session.execute(
            update(LoginThrottle)
            .where(row)
            .values(blocked_until=now + dt.timedelta(seconds=wait))
            .execution_options(synchronize_session=False)
        )
    return failures


def _seconds_left(keys: tuple[tuple[str, str], ...], now: dt.datetime) -> int:
    stmt = select(LoginThrottle.blocked_until).where(
        LoginThrottle.kind.in_([k for k, _ in keys]),
        LoginThrottle.key.in_([v for _, v in keys]),
    )
    until = max((u for u in db.session.scalars(stmt) if u is not None), default=now)
    return max(1, math.ceil((until - now).total_seconds()))


def claim_sign_in(login: str, ip: str, *, now: dt.datetime | None = None) -> Attempt:
    """Count a sign-in try before its password is checked; RateLimited if a key is waiting.

    The caller commits at once (so that other workers see the try), then calls
    `check_sign_in`. On refusal nothing is counted (the caller rolls back).
    """
    now = now or utcnow()
    keys = _keys(login_subject(login), ip)
    _ensure_rows(keys)
    for kind, key in keys:
        if _claim(kind, key, now) is None:
            raise RateLimited(_seconds_left(keys, now))
    db.session.flush()
    return Attempt(login=login, keys=keys)


def check_sign_in(attempt: Attempt, password: str) -> User | None:
    """Check the password of a claimed try; on success clear the login's counters.

    The try stays counted as a failure otherwise. The caller commits in both cases.
    """
    user = authenticate(attempt.login, password)
    if user is None:
        return None
    for kind, key in attempt.keys:
        where = (LoginThrottle.kind == kind) & (LoginThrottle.key == key)
        if kind == "ip":  # the address keeps its other failures; this try was none
            fewer = case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0)
            db.session.execute(update(LoginThrottle).where(where).values(failures=fewer))
        else:
            db.session.execute(delete(LoginThrottle).where(where))
    db.session.flush()
    return user


def purge_login_attempts(before: dt.datetime) -> int:
    """Forget keys whose last failure is older than `before`; return how many went."""
    result = db.session.execute(
        delete(LoginThrottle).where(
            (LoginThrottle.last_failure_at < before) | LoginThrottle.last_failure_at.is_(None)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
