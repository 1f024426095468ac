"""User and role services. They flush, never commit."""

from __future__ import annotations

import functools
import re
import secrets

from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from points_app.accounts.models import Role, RoleAssignment, User
from points_app.areas.models import Area
from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.extensions import db

MIN_PASSWORD_LENGTH = 8
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def find_user_by_login(login: str) -> User | None:
    """Find a user by username or phone (case-insensitive username)."""
    login = login.strip()
    if not login:
        return None
    stmt = select(User).where(or_(func.lower(User.username) == login.lower(), User.phone == login))
    return db.session.scalars(stmt).first()


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def authenticate(login: str, password: str) -> User | None:
    """Return the enabled user whose login and password match, else None."""
    user = find_user_by_login(login)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which logins exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.is_enabled or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password",
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters.",
            status=422,
        )


def _check_unique(username: str, phone: str | None, exclude_id: int | None = None) -> None:
    clash = db.session.scalars(
        select(User).where(
            func.lower(User.username) == username.lower(), User.id != (exclude_id or 0)
        )
    ).first()
    if clash:
        raise DomainError(
            "duplicate_username", f"The username {username} is already taken.", status=422
        )
    if phone:
        clash = db.session.scalars(
            select(User).where(User.phone == phone, User.id != (exclude_id or 0))
        ).first()
        if clash:
            raise DomainError(
                "duplicate_phone",
                f"The phone number is already used by user {clash.username}.",
                status=422,
            )


def create_user(
    *,
    username: str,
    password: str,
    display_name: str,
    phone: str | None = None,
    actor: object | None = None,
) -> User:
    """Create a user with a hashed password."""
    username = username.strip()
    phone = (phone or "").strip() or None
    check_password_strength(password)
    _check_unique(username, phone)
    user = User(username=username, display_name=display_name.strip() or username, phone=phone)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", "user", user.id)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a user's own password after checking the current one."""
    if not user.check_password(current):
        raise DomainError("wrong_password", "The current password is not right.", status=422)
    check_password_strength(new)
    user.set_password(new)
    record(user, "user.change_password", "user", user.id)
    db.session.flush()


def grant_role(user: User, role: Role, area: Area, actor: object) -> RoleAssignment:
    """Give a user a role at an area; the actor must manage users there."""
    if not can(actor, Permission.manage_users, area):
        raise DomainError("forbidden", "You may not give roles in this area.", status=403)
    if role is Role.admin and not any(
        ra.role is Role.admin and area.is_within(ra.area) for ra in getattr(actor, "roles", [])
    ):
        raise DomainError("forbidden", "Only an administrator may make administrators.", 403)
    existing = db.session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.area_id == area.id,
        )
    ).first()
    if existing:
        raise DomainError(
            "duplicate_role", f"{user.username} already holds this role in {area.name}.", 422
        )
    assignment = RoleAssignment(user=user, role=role, area=area)
    db.session.add(assignment)
    db.session.flush()
    record(actor, "role.grant", "user", user.id, role=role.value, area_id=area.id)
    return assignment


def revoke_role(assignment: RoleAssignment, actor: object) -> None:
    """Take a role away; the actor must manage users at its area."""
    if not can(actor, Permission.manage_users, assignment.area):
        raise DomainError("forbidden", "You may not change roles in this area.", status=403)
    if assignment.user_id == getattr(actor, "id", None) and assignment.role is Role.admin:
        raise DomainError(
            "cannot_revoke_own_admin", "You cannot take away your own administrator role.", 422
        )
    record(
        actor, "role.revoke", "user", assignment.user_id,
        role=assignment.role.value, area_id=assignment.area_id,
    )  # fmt: skip
    db.session.delete(assignment)
    db.session.flush()


def set_user_enabled(user: User, enabled: bool, actor: object) -> None:
    """Enable or disable sign-in for a user."""
    if user.id == getattr(actor, "id", None) and not enabled:
        raise DomainError("cannot_disable_self", "You cannot disable your own account.", 422)
    user.is_enabled = enabled
    record(actor, "user.enable" if enabled else "user.disable", "user", user.id)
    if not enabled:
        from points_app.accounts.sessions import end_all_sessions

        end_all_sessions(user, actor=actor, revoke_api_tokens=True)
    db.session.flush()


def users_visible_to(actor: object) -> list[User]:
    """Users holding a role somewhere the actor manages users, plus users with no role."""
    from points_app.core.permissions import area_clause

    stmt = (
        select(User)
        .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(Area, Area.id == RoleAssignment.area_id)
        .where(
            or_(area_clause(Area.path, actor, Permission.manage_users), RoleAssignment.id.is_(None))
        )
        .distinct()
        .order_by(User.username)
    )
    return list(db.session.scalars(stmt))
