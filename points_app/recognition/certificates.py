"""Volunteer service record certificates (志愿服务记录证明): asked for, issued, revoked.

A certificate counts approved attendances only, as they stand when it is issued; the
lines are kept with it so the PDF says the same thing later. Only
`transition_certificate` assigns `Certificate.state`.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, delete, insert, select

from points_app.areas.models import Area
from points_app.core.audit import record
from points_app.core.clock import local_date, local_today, local_zone
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, area_clause, can
from points_app.events.models import Attendance, AttendanceStatus
from points_app.extensions import db
from points_app.people.models import Volunteer
from points_app.recognition.models import (
    Certificate,
    CertificateLine,
    CertificateState,
    VerifyLookup,
)
from points_app.recognition.settings import settings_for

S = CertificateState
ALLOWED_MOVES: dict[CertificateState, frozenset[CertificateState]] = {
    S.requested: frozenset({S.issued, S.declined}),
    S.issued: frozenset({S.revoked}),
    S.declined: frozenset(),
    S.revoked: frozenset(),
}
NEEDS_REASON = frozenset({S.declined, S.revoked})
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud safely
MAX_PERIOD_DAYS = 366 * 5


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = local_zone()
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone).astimezone(dt.UTC),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC),
    )


def approved_service(volunteer: Volunteer, start: dt.date, end: dt.date) -> list[Attendance]:
    """The volunteer's approved attendances that began within the local dates, oldest first."""
    since, until = _bounds(start, end)
    return list(
        db.session.scalars(
            select(Attendance)
            .where(
                Attendance.volunteer_id == volunteer.id,
                Attendance.status == AttendanceStatus.approved,
                Attendance.checked_in_at >= since,
                Attendance.checked_in_at < until,
            )
            .order_by(Attendance.checked_in_at, Attendance.id)
        )
    )


def _no_service(start: dt.date, end: dt.date) -> DomainError:
    return DomainError(
        "no_service",
        _l(
            "There is no approved service between %(start)s and %(end)s, so there is "
            "nothing to certify.",
            start=format_date(start),
            end=format_date(end),
        ),
        422,
    )


def request_certificate(
    volunteer: Volunteer,
    *,
    period_start: dt.date,
    period_end: dt.date,
    actor: Any,
    now: dt.datetime | None = None,
) -> Certificate:
    """Ask for a certificate of the volunteer's approved service in a period; issued at
    once if the community says so."""
    now = now or utcnow()
    own = getattr(actor, "id", None) is not None and volunteer.user_id == actor.id
    if not own and not can(actor, Permission.approve_attendance, volunteer.home_community):
        raise Forbidden(str(_l("You may ask for a certificate of your own service only.")))
    if period_end < period_start:
        raise DomainError("invalid_period", _l("The period ends before it starts."), 422)
    if period_end > local_date(now):
        raise DomainError("invalid_period", _l("The period cannot end in the future."), 422)
    if (period_end - period_start).days > MAX_PERIOD_DAYS:
        raise DomainError("invalid_period", _l("A certificate covers at most five years."), 422)
    service = approved_service(volunteer, period_start, period_end)
    if not service:
        raise _no_service(period_start, period_end)
    certificate = Certificate(
        volunteer_id=volunteer.id,
        community_id=volunteer.home_community_id,
        period_start=period_start,
        period_end=period_end,
        minutes=sum(a.minutes or 0 for a in service),
        requested_at=now,
        requested_by_id=getattr(actor, "id", None),
    )
    db.session.add(certificate)
    db.session.flush()
    record(actor, "certificate.request", "certificate", certificate.id)
    if settings_for(volunteer.home_community).certificates_at_once:
        transition_certificate(certificate, S.issued, actor=None, now=now, by_setting=True)
    return certificate


def _new_number(now: dt.datetime) -> str:
    """A certificate number nobody can guess: the year and 10 random characters."""
    while True:
        tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))
        number = f"ZY{local_date(now).year}-{tail}"
        taken = db.session.scalar(select(Certificate.id).where(Certificate.number == number))
        if taken is None:
            return number


def transition_certificate(
    certificate: Certificate,
    to: CertificateState,
    *,
    actor: Any,
    reason: str = "",
    now: dt.datetime | None = None,
    by_setting: bool = False,
) -> Certificate:
    """Issue, decline or revoke a certificate (the organiser or committee decides)."""
    now = now or utcnow()
    if not by_setting and not can(actor, Permission.approve_attendance, certificate.community):
        raise Forbidden(str(_l("You may not decide on certificates in this community.")))
    if to not in ALLOWED_MOVES[certificate.state]:
        raise DomainError(
            "invalid_transition",
            _l("This certificate is already %(state)s.", state=certificate.state.value),
            409,
        )
    reason = (reason or "").strip()
    if to in NEEDS_REASON and not reason:
        raise DomainError("reason_required", _l("Say why."), 422)
    if to is S.issued:
        _issue(certificate, actor=actor, now=now)
    else:
        certificate.decision_reason = reason[:500]
        certificate.decided_at = now
        certificate.decided_by_id = getattr(actor, "id", None)
    certificate.state = to
    record(actor, f"certificate.{to.value}", "certificate", certificate.id)
    db.session.flush()
    return certificate


def _issue(certificate: Certificate, *, actor: Any, now: dt.datetime) -> None:
    service = approved_service(
        certificate.volunteer, certificate.period_start, certificate.period_end
    )
    if not service:
        raise _no_service(certificate.period_start, certificate.period_end)
    certificate.lines = [
        CertificateLine(
            attendance_id=a.id,
            event_title=a.event.title,
            served_on=local_date(a.checked_in_at),
            minutes=a.minutes or 0,
        )
        for a in service
    ]
    certificate.minutes = sum(line.minutes for line in certificate.lines)
    certificate.number = _new_number(now)
    certificate.issued_at = now
    certificate.issued_by_id = getattr(actor, "id", None)


def certificates_of(volunteer: Volunteer) -> list[Certificate]:
    """The volunteer's certificates, newest first."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.volunteer_id == volunteer.id)
            .order_by(Certificate.requested_at.desc(), Certificate.id.desc())
        )
    )


def certificates_for(user: Any, state: CertificateState, limit: int = 100) -> list[Certificate]:
    """Certificates in a state in the user's areas: oldest request first for those waiting,
    newest first otherwise."""
    order = Certificate.requested_at.asc() if state is S.requested else Certificate.issued_at.desc()
    return list(
        db.session.scalars(
            select(Certificate)
            .join(Area, Area.id == Certificate.community_id)
            .where(
                area_clause(Area.path, user, Permission.approve_attendance),
                Certificate.state == state,
            )
            .order_by(order, Certificate.id)
            .limit(limit)
        )
    )


def hours(minutes: int) -> str:
    """Minutes as hours, to two decimals at most: 90 → "1.5", 195 → "3.25"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


# --- public verification -----------------------------------------------------------------

VERIFY_WINDOW = dt.timedelta(minutes=10)
VERIFY_MAX_PER_WINDOW = 30


def count_lookup(connection: Connection, ip: str, *, now: dt.datetime | None = None) -> None:
    """Count one verification look-up from the IP; refuse when it made too many lately.

    The caller commits it before the look-up, so a failing look-up still counts.
    """
    from points_app.accounts.login_throttle import RateLimited

    now = now or utcnow()
    ip = (ip or "unknown")[:45]
    limit = int(current_app.config.get("VERIFY_MAX_PER_WINDOW", VERIFY_MAX_PER_WINDOW))
    oldest = connection.scalar(
        select(VerifyLookup.created_at)
        .where(VerifyLookup.ip == ip, VerifyLookup.created_at > now - VERIFY_WINDOW)
        .order_by(VerifyLookup.created_at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if oldest is not None:
        raise RateLimited(max(1, math.ceil((oldest + VERIFY_WINDOW - now).total_seconds())))
    connection.execute(  # this address's look-ups older than the window count no more
        delete(VerifyLookup).where(
            VerifyLookup.ip == ip, VerifyLookup.created_at <= now - VERIFY_WINDOW
        )
    )
    connection.execute(insert(VerifyLookup).values(ip=ip, created_at=now))


def find_certificate(number: str) -> Certificate | None:
    """The issued or revoked certificate with this number; None for anything else."""
    number = (number or "").strip().upper()
    if not 1 <= len(number) <= 32:
        return None
    return db.session.scalars(
        select(Certificate).where(
            Certificate.number == number,
            Certificate.state.in_((S.issued, S.revoked)),
        )
    ).first()


def today() -> dt.date:
    """Today on the community calendar (for the request form's defaults)."""
    return local_today()
