"""Users and the roles they hold at an area."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.extensions import Model


class Role(enum.StrEnum):
    """Roles a user can hold at an area; each holds below that area too."""

    admin = "admin"
    committee = "committee"
    organiser = "organiser"
    grid_worker = "grid_worker"
    clerk = "clerk"
    volunteer = "volunteer"


class User(UserMixin, Model):
    """Someone who signs in: by username or phone, with a scrypt password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def session_token(self) -> str | None:
        """The token of the signed-in browser this user object was loaded for (not stored)."""
        return self.__dict__.get("_session_token")

    @session_token.setter
    def session_token(self, value: str | None) -> None:
        self.__dict__["_session_token"] = value

    def get_id(self) -> str:
        """What the web session and the remember-me cookie hold: ``<id>.<session token>``.

        Without a session (accounts/sessions.py) it is the bare id, which signs nobody in.
        """
        token = self.session_token
        return f"{self.id}.{token}" if token else str(self.id)

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Return True if the password matches."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(Model):
    """A role held by a user at an area (and so at every area below it)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, name="role", native_enum=False, length=20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    area: Mapped[Area] = relationship(lazy="joined")


class LinkPurpose(enum.StrEnum):
    """Why a one-time set-password link was made."""

    welcome = "welcome"  # a new account's first password
    reset = "reset"  # a forgotten password


class PasswordLink(Model):
    """A one-time link to set a user's password; only a hash of its secret is stored.

    An organiser makes one when registering a volunteer or when a volunteer forgot the
    password, and shows or prints it (link and QR code). It works once, until it expires.
    """

    __tablename__ = "password_links"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[LinkPurpose] = mapped_column(
        Enum(LinkPurpose, name="link_purpose", native_enum=False, length=10)
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: dt.datetime) -> bool:
        """Neither used nor expired."""
        return self.used_at is None and self.expires_at > now
