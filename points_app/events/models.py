"""Events, venture projects, attendance and its history, person cards, Party member
registration and the needs list (居民点单、社区下单、党员接单)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.extensions import Model
from points_app.issues import models as _issues  # noqa: F401  (event_issues refers to issues)
from points_app.people.models import Household, Organisation, Volunteer


def _enum(cls: type[enum.Enum], name: str, length: int = 20) -> Any:
    return Enum(cls, name=name, native_enum=False, length=length)


class EventKind(enum.StrEnum):
    """What sort of service an event is."""

    party_report = "party_report"  # 在职党员进社区报到
    volunteer = "volunteer"  # 志愿服务
    welfare_day = "welfare_day"  # 党群公益日
    legal_talk = "legal_talk"  # 法律宣讲 / 法官说法 / 警民说事 (speaker and topic in events.legal)


class PointsRule(enum.StrEnum):
    """How an attendance turns into points."""

    per_hour = "per_hour"  # points for every started hour, up to the cap
    fixed = "fixed"  # the same points for anyone who came


class AttendanceStatus(enum.StrEnum):
    """Where an attendance stands; only `transition_attendance` changes it."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ProjectStatus(enum.StrEnum):
    """Where a venture project stands; only `transition_project` changes it."""

    published = "published"
    claimed = "claimed"
    closed = "closed"


class NeedSource(enum.StrEnum):
    """Who posted a need: a resident (居民点单) or the community (社区下单)."""

    resident = "resident"
    community = "community"


class NeedStatus(enum.StrEnum):
    """Where a need stands; only `transition_need` changes it."""

    open = "open"
    claimed = "claimed"
    done = "done"
    cancelled = "cancelled"


class Project(Model):
    """A venture project (创投项目): published with a points budget, claimed by a social
    organisation, which then runs events whose awards count against the budget."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("budget_points > 0", name="budget_positive"),
        CheckConstraint(
            "points_spent >= 0 AND points_spent <= budget_points", name="spent_within_budget"
        ),
        CheckConstraint("status = 'published' OR organisation_id IS NOT NULL", name="claimed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    budget_points: Mapped[int]
    points_spent: Mapped[int] = mapped_column(default=0)
    status: Mapped[ProjectStatus] = mapped_column(
        _enum(ProjectStatus, "project_status"), default=ProjectStatus.published
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    events: Mapped[list[Event]] = relationship(
        back_populates="project", order_by="Event.starts_at.desc()"
    )

    @property
    def points_left(self) -> int:
        return self.budget_points - self.points_spent


class ProjectMove(Model):
    """One move of a project's status: who, when, why."""

    __tablename__ = "project_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ProjectStatus | None] = mapped_column(
        _enum(ProjectStatus, "project_status")
    )
    to_status: Mapped[ProjectStatus] = mapped_column(_enum(ProjectStatus, "project_status"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class Event(Model):
    """A service event: where, when, who may come, and how attendance turns into points."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("points_value >= 0", name="points_not_negative"),
        CheckConstraint("points_cap IS NULL OR points_cap > 0", name="cap_positive"),
        CheckConstraint("people_served IS NULL OR people_served >= 0", name="served_not_negative"),
        Index("ix_events_area_starts", "area_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    capacity: Mapped[int | None]
    signup_required: Mapped[bool] = mapped_column(default=False)
    points_rule: Mapped[PointsRule] = mapped_column(
        _enum(PointsRule, "points_rule"), default=PointsRule.per_hour
    )
    points_value: Mapped[int] = mapped_column(default=1)
    points_cap: Mapped[int | None]
    needs_checkout: Mapped[bool] = mapped_column(default=True)
    needs_approval: Mapped[bool] = mapped_column(default=True)
    rotates_code: Mapped[bool] = mapped_column(default=False)
    people_served: Mapped[int | None]
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")
    organiser: Mapped[User | None] = relationship()
    project: Mapped[Project | None] = relationship(back_populates="events")

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class EventIssue(Model):
    """Which residents' issues an event serves (for the contribution review of an issue)."""

    __tablename__ = "event_issues"
    __table_args__ = (Index("ix_event_issues_issue_id", "issue_id"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EventSignup(Model):
    """A volunteer's sign-up for an event that asks for one; the organiser approves it."""

    __tablename__ = "event_signups"
    __table_args__ = (UniqueConstraint("event_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[Event] = relationship()
    volunteer: Mapped[Volunteer] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.event.area


class Attendance(Model):
    """One volunteer at one event: check-in, check-out, minutes, and the points it earned.

    UNIQUE(event_id, volunteer_id) makes a double check-in impossible. `minutes`,
    `points_awarded` and `transfer_id` are stored so contributions are easy to sum.
    """

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("event_id", "volunteer_id"),
        CheckConstraint(
            "checked_out_at IS NULL OR checked_out_at >= checked_in_at", name="out_after_in"
        ),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
        CheckConstraint(
            "points_awarded IS NULL OR (points_awarded >= 0 AND status = 'approved')",
            name="points_only_when_approved",
        ),
        CheckConstraint(
            "transfer_id IS NULL OR status = 'approved'", name="transfer_only_when_approved"
        ),
        CheckConstraint(
            "status <> 'rejected' OR length(reject_reason) > 0", name="rejection_has_reason"
        ),
        Index("ix_attendances_event_status", "event_id", "status"),
        # The reports' attendances of a period, with every column their figures read.
        Index(
            "ix_attendances_checked_in_at",
            "checked_in_at",
            "status",
            "event_id",
            "volunteer_id",
            "minutes",
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(
        _enum(AttendanceStatus, "attendance_status"), default=AttendanceStatus.pending
    )
    checked_in_at: Mapped[dt.datetime]
    checked_out_at: Mapped[dt.datetime | None]
    minutes: Mapped[int | None]
    points_awarded: Mapped[int | None]
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    for_household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    is_manual: Mapped[bool] = mapped_column(default=False)
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_note: Mapped[str] = mapped_column(String(200), default="")
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined")
    volunteer: Mapped[Volunteer] = relationship(lazy="joined")
    for_household: Mapped[Household | None] = relationship()
    moves: Mapped[list[AttendanceMove]] = relationship(
        order_by="AttendanceMove.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def area(self) -> Area:
        return self.event.area

    @property
    def is_complete(self) -> bool:
        """True once the time is known: checked out, or the event needs no check-out."""
        return self.minutes is not None


class AttendanceMove(Model):
    """One move of an attendance's status: who, when, why."""

    __tablename__ = "attendance_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(
        ForeignKey("attendances.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[AttendanceStatus | None] = mapped_column(
        _enum(AttendanceStatus, "attendance_status")
    )
    to_status: Mapped[AttendanceStatus] = mapped_column(
        _enum(AttendanceStatus, "attendance_status")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class VolunteerCard(Model):
    """The version of a volunteer's printed QR card; reissuing bumps it, so old cards fail."""

    __tablename__ = "volunteer_cards"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PartyRegistration(Model):
    """An in-service Party member's yearly registration with their home community (报到)."""

    __tablename__ = "party_registrations"
    __table_args__ = (
        UniqueConstraint("volunteer_id", "year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    year: Mapped[int]
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    volunteer: Mapped[Volunteer] = relationship(lazy="joined")
    community: Mapped[Area] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.community


class Need(Model):
    """A need on the list: posted by a resident or the community, claimed by a Party member."""

    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint(
            "status IN ('open', 'cancelled') OR claimed_by_id IS NOT NULL", name="claimed_by"
        ),
        Index("ix_needs_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[NeedSource] = mapped_column(_enum(NeedSource, "need_source"))
    status: Mapped[NeedStatus] = mapped_column(
        _enum(NeedStatus, "need_status"), default=NeedStatus.open
    )
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    claimed_at: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    community: Mapped[Area] = relationship(lazy="joined")
    claimed_by: Mapped[Volunteer | None] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.community


class NeedMove(Model):
    """One move of a need's status: who, when, why."""

    __tablename__ = "need_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[NeedStatus | None] = mapped_column(_enum(NeedStatus, "need_status"))
    to_status: Mapped[NeedStatus] = mapped_column(_enum(NeedStatus, "need_status"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")
