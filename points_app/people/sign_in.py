"""A way in for volunteers without an administrator.

- Registering a volunteer (or Party member) opens a sign-in account for them: the phone
  number is the username; the organiser shows or prints a one-time set-password link.
- A volunteer who forgot the password gets a new link from an organiser of their
  community; the organiser may do this only for accounts that hold no role but volunteer.
- A first-time volunteer signs themselves up from an event's code; they are unconfirmed
  until an organiser vouches for them (usually when approving that first attendance).

Plain functions taking the acting user; they flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from points_app.accounts.links import issue_password_link
from points_app.accounts.models import LinkPurpose, PasswordLink, Role, RoleAssignment, User
from points_app.accounts.services import check_password_strength
from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.people.models import SelfSignup, Volunteer
from points_app.people.validation import clean_mobile

SIGNUP_WINDOW = dt.timedelta(hours=1)
# Generous: phones on mobile data often share one public address (carrier NAT).
MAX_SIGNUPS_PER_IP = 20


def _refuse_unless_manager(actor: Any, volunteer: Volunteer) -> None:
    if not can(actor, Permission.manage_people, volunteer.area):
        raise DomainError(
            "forbidden",
            _l("Only an organiser of %(area)s may do this.", area=volunteer.area.name),
            403,
        )


def _phone_taken_by_user(phone: str, exclude_user_id: int | None = None) -> User | None:
    return db.session.scalars(
        select(User).where(
            or_(User.phone == phone, func.lower(User.username) == phone),
            User.id != (exclude_user_id or 0),
        )
    ).first()


def open_volunteer_account(actor: Any, volunteer: Volunteer) -> User:
    """Give a volunteer a sign-in account (username: the phone), or return theirs.

    A user who already signs in with that phone and has no volunteer profile is linked
    instead (an organiser who also volunteers keeps one account).
    """
    _refuse_unless_manager(actor, volunteer)
    if volunteer.user is not None:
        return volunteer.user
    existing = _phone_taken_by_user(volunteer.phone or "")
    if existing is not None:
        linked = db.session.scalar(select(Volunteer.id).where(Volunteer.user_id == existing.id))
        if linked is not None:
            raise DomainError(
                "account_exists",
                _l(
                    "Another volunteer's sign-in account already uses the phone %(phone)s. "
                    "Ask the administrator to sort it out.",
                    phone=volunteer.masked_phone,
                ),
                422,
            )
        volunteer.user_id = existing.id
        db.session.flush()
        db.session.expire(volunteer, ["user"])
        record(actor, "volunteer.link_account", "volunteer", volunteer.id, user_id=existing.id)
        return existing
    user = _new_user(volunteer, password=None)
    record(actor, "volunteer.open_account", "volunteer", volunteer.id, user_id=user.id)
    return user


UNUSABLE_PASSWORD = "!"  # no password matches it: the person sets one through a link


def _new_user(volunteer: Volunteer, *, password: str | None) -> User:
    user = User(username=volunteer.phone, phone=volunteer.phone, display_name=volunteer.real_name)
    if password is None:
        user.password_hash = UNUSABLE_PASSWORD + secrets.token_hex(8)
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.add(RoleAssignment(user=user, role=Role.volunteer, area=volunteer.home_community))
    volunteer.user_id = user.id
    db.session.flush()
    db.session.expire(volunteer, ["user"])
    return user


def may_send_link(actor: Any, volunteer: Volunteer) -> bool:
    """The actor may give this volunteer a set-password link.

    Only for accounts that hold no role but volunteer: an organiser must not be able to
    take over a colleague's or an administrator's account by resetting its password.
    """
    if not can(actor, Permission.manage_people, volunteer.area):
        return False
    user = volunteer.user
    if user is None:
        return True
    # A user without any role may still be given one by an administrator: not theirs either.
    return bool(user.roles) and all(ra.role is Role.volunteer for ra in user.roles)


def send_sign_in_link(actor: Any, volunteer: Volunteer) -> tuple[PasswordLink, str]:
    """Open the volunteer's account if needed and make a one-time set-password link."""
    _refuse_unless_manager(actor, volunteer)
    if not may_send_link(actor, volunteer):
        raise DomainError(
            "not_a_volunteer_account",
            _l(
                "This person's account holds other roles too; only an administrator "
                "can reset its password."
            ),
            403,
        )
    user = open_volunteer_account(actor, volunteer)
    purpose = LinkPurpose.welcome if user.last_login_at is None else LinkPurpose.reset
    return issue_password_link(user, purpose=purpose, actor=actor)


def follow_phone_change(volunteer: Volunteer, new_phone: str) -> None:
    """A volunteer's new phone becomes their username too, when the account is only theirs."""
    user = volunteer.user
    old = volunteer.phone
    if user is None or new_phone == old or not user.roles:
        return
    if not all(ra.role is Role.volunteer for ra in user.roles):
        return
    if _phone_taken_by_user(new_phone, exclude_user_id=user.id) is not None:
        raise DomainError(
            "duplicate_phone",
            _l("Another sign-in account already uses this phone number."),
            422,
            field="phone",
        )
    if user.phone == old:
        user.phone = new_phone
    if user.username == old:
        user.username = new_phone


def confirm_volunteer(actor: Any, volunteer: Volunteer, *, now: dt.datetime | None = None) -> None:
    """Vouch for a volunteer who signed themselves up (once)."""
    _refuse_unless_manager(actor, volunteer)
    if volunteer.confirmed_at is not None:
        return
    volunteer.confirmed_at = now or utcnow()
    record(actor, "volunteer.confirm", "volunteer", volunteer.id)
    db.session.flush()


# --- signing oneself up at an event ---------------------------------------------------


def communities_for(event_area: Area) -> list[Area]:
    """The communities whose volunteers may serve at an event in this area."""
    if event_area.level.depth >= AreaLevel.community.depth:
        home = community_of(event_area)
        return [home] if home is not None else []
    return list(
        db.session.scalars(
            select(Area)
            .where(
                Area.level == AreaLevel.community,
                Area.path.startswith(event_area.path, autoescape=True),
            )
            .order_by(Area.path)
        )
    )


def _check_signup_rate(ip: str, now: dt.datetime) -> None:
    limit = int(current_app.config.get("SELF_SIGNUP_MAX_PER_IP", MAX_SIGNUPS_PER_IP))
    recent = db.session.scalar(
        select(func.count(SelfSignup.id)).where(
            SelfSignup.ip == ip, SelfSignup.created_at > now - SIGNUP_WINDOW
        )
    )
    if (recent or 0) >= limit:
        raise DomainError(
            "rate_limited",
            _l(
                "Too many sign-ups from this network just now. Ask the organiser to register "
                "you, or try again in an hour."
            ),
            429,
        )


def _phone_registered() -> DomainError:
    return DomainError(
        "phone_registered",
        _l(
            "This phone number is already registered. Sign in with it: your phone number is "
            "your username. Forgot the password? Ask the organiser here for a new sign-in link."
        ),
        409,
        field="phone",
    )


def register_self(
    *,
    event_area: Area,
    event_id: int,
    real_name: str,
    phone: str,
    home_community: Area,
    password: str,
    ip: str,
    now: dt.datetime | None = None,
) -> Volunteer:
    """Sign a first-time volunteer up from an event's code: profile and account, unconfirmed."""
    now = now or utcnow()
    name = " ".join((real_name or "").split())
    if not name:
        raise DomainError("required", _l("Enter your name."), 422, field="real_name")
    if len(name) > 50:
        raise DomainError("too_long", _l("Use at most 50 characters."), 422, field="real_name")
    clean_phone = clean_mobile(phone, required=True)
    assert clean_phone is not None
    if home_community.id not in {c.id for c in communities_for(event_area)}:
        raise DomainError(
            "invalid_area",
            _l("Choose the community you live in from the list."),
            422,
            field="home_community_id",
        )
    try:
        check_password_strength(password)
    except DomainError as error:
        error.details["field"] = "password"
        raise
    ip = (ip or "")[:45]
    _check_signup_rate(ip, now)
    taken = db.session.scalar(select(Volunteer.id).where(Volunteer.phone == clean_phone))
    if taken is not None or _phone_taken_by_user(clean_phone) is not None:
        raise _phone_registered()
    volunteer = Volunteer(real_name=name, phone=clean_phone, home_community=home_community)
    db.session.add(volunteer)
    db.session.flush()
    volunteer.confirmed_at = None  # the column's default (confirmed) fills in a None at insert
    user = _new_user(volunteer, password=password)
    user.last_login_at = now
    db.session.add(SelfSignup(volunteer_id=volunteer.id, event_id=event_id, ip=ip, created_at=now))
    record(user, "volunteer.self_register", "volunteer", volunteer.id, event_id=event_id)
    db.session.flush()
    return volunteer


def phone_registered_error() -> DomainError:
    """The refusal for a phone that is already registered (also after losing a race)."""
    return _phone_registered()
