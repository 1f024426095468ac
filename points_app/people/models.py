"""Volunteers, organisations, households in need and their pairings."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.clock import local_today
from points_app.core.db import utcnow
from points_app.core.encrypted import encrypted_field
from points_app.core.masking import mask_id_number, mask_name, mask_phone
from points_app.extensions import Model


class OrganisationKind(enum.StrEnum):
    """Kinds of partner organisation in a community."""

    party_branch = "party_branch"
    residents_committee = "residents_committee"
    property_company = "property_company"
    owners_committee = "owners_committee"
    resident_unit = "resident_unit"
    social_organisation = "social_organisation"
    volunteer_team = "volunteer_team"
    unit = "unit"  # an in-service Party member's work unit (employer)


class HouseholdCategory(enum.StrEnum):
    """Why a household is in need."""

    dibao = "dibao"  # 低保
    tekun = "tekun"  # 特困
    disability = "disability"  # 残疾
    elderly_alone = "elderly_alone"  # 独居老人
    other = "other"


class Volunteer(Model):
    """A person who serves: volunteer or in-service Party member."""

    __tablename__ = "volunteers"
    __table_args__ = (CheckConstraint("length(real_name) > 0", name="real_name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    real_name: Mapped[str] = mapped_column(String(50))
    # Encrypted at rest; `phone` reads and assigns the plain number (core/encrypted.py).
    phone_encrypted: Mapped[str] = mapped_column(String(255))
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    home_community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    is_party_member: Mapped[bool] = mapped_column(default=False)
    # An in-service Party member's work unit: an organisation of kind `unit`.
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When an organiser vouched for the person: at registration, or later for someone who
    # signed themselves up at an event (NULL until then; their points wait for it).
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)

    home_community: Mapped[Area] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()
    unit: Mapped[Organisation | None] = relationship(foreign_keys=[work_unit_id])
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan"
    )

    phone = encrypted_field("volunteers.phone")

    @property
    def work_unit(self) -> str | None:
        """The name of the member's work unit, if any."""
        return self.unit.name if self.unit is not None else None

    @property
    def area(self) -> Area:
        return self.home_community

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class SelfSignup(Model):
    """A first-time volunteer who signed themselves up from an event's code, and from where.

    Counted per client address to slow down scripted sign-ups.
    """

    __tablename__ = "self_signups"
    __table_args__ = (Index("ix_self_signups_ip_created_at", "ip", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    ip: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Organisation(Model):
    """A partner organisation: party branch, property company, social organisation…"""

    __tablename__ = "organisations"
    __table_args__ = (
        UniqueConstraint("area_id", "name"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(OrganisationKind, name="organisation_kind", native_enum=False, length=30)
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(Model):
    """A volunteer's membership of an organisation."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    is_leader: Mapped[bool] = mapped_column(default=False)
    joined_on: Mapped[dt.date] = mapped_column(default=local_today)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    volunteer: Mapped[Volunteer] = relationship(back_populates="memberships")

    @property
    def area(self) -> Area:
        return self.organisation.area


class Household(Model):
    """A household in need (结对困难户). Personal data is shown masked by default."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("members_count >= 1", name="members_positive"),
        CheckConstraint("card_version >= 1", name="card_version_positive"),
        CheckConstraint("length(head_name) > 0", name="head_name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_no: Mapped[str] = mapped_column(String(40), unique=True)
    head_name: Mapped[str] = mapped_column(String(50))
    members_count: Mapped[int] = mapped_column(default=1)
    address: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # The grid or microgrid inside the community where the household lives, when known;
    # it lets a grid worker see the households of their own grid.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    category: Mapped[HouseholdCategory] = mapped_column(
        Enum(HouseholdCategory, name="household_category", native_enum=False, length=20)
    )
    # Encrypted at rest, with a keyed hash for uniqueness and exact lookup; `id_number`
    # and `phone` read and assign the plain values (core/encrypted.py).
    id_number_encrypted: Mapped[str | None] = mapped_column(String(255))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    card_version: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    community: Mapped[Area] = relationship(foreign_keys=[community_id], lazy="joined")
    grid: Mapped[Area | None] = relationship(foreign_keys=[grid_id], lazy="joined")
    pairings: Mapped[list[Pairing]] = relationship(
        back_populates="household", order_by="Pairing.start_date.desc()"
    )

    id_number = encrypted_field("households.id_number")
    phone = encrypted_field("households.phone")

    @property
    def area(self) -> Area:
        """The narrowest known area: the grid or microgrid if set, else the community."""
        return self.grid or self.community

    @property
    def masked_name(self) -> str:
        return mask_name(self.head_name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def phone_ends_with(self, digits: str) -> bool:
        """True if the household's phone ends with these digits (at least 4, e.g. the last 4).

        The phone is encrypted at rest, so this compares in Python after decrypting; narrow
        the households down first (one community, a surname), see
        `people.queries.households_by_phone_ending`.
        """
        digits = digits.strip()
        phone = self.phone or ""
        return len(digits) >= 4 and digits.isdigit() and phone.endswith(digits)

    @property
    def masked_address(self) -> str:
        return self.address[:6] + "…" if len(self.address) > 6 else self.address


class Pairing(Model):
    """A volunteer or an organisation paired with a household, from a date until a date."""

    __tablename__ = "pairings"
    __table_args__ = (
        CheckConstraint(
            "(volunteer_id IS NULL) <> (organisation_id IS NULL)", name="exactly_one_partner"
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        # At most one open-ended pairing of the same pair (the service also refuses overlaps).
        Index(
            "uq_pairings_open_volunteer",
            "household_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text("end_date IS NULL AND volunteer_id IS NOT NULL"),
            postgresql_where=text("end_date IS NULL AND volunteer_id IS NOT NULL"),
        ),
        Index(
            "uq_pairings_open_organisation",
            "household_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("end_date IS NULL AND organisation_id IS NOT NULL"),
            postgresql_where=text("end_date IS NULL AND organisation_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(back_populates="pairings", lazy="joined")
    volunteer: Mapped[Volunteer | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.household.community

    def is_current(self, on: dt.date | None = None) -> bool:
        """Return True if the pairing is in force on the given day (today by default)."""
        day = on or local_today()
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    @property
    def partner_name(self) -> str:
        if self.volunteer is not None:
            return self.volunteer.real_name
        assert self.organisation is not None
        return self.organisation.name
