"""Residents' issues (事项), their timeline (流转单), talk sessions (说事会) and settings."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.core.encrypted import encrypted_field
from points_app.core.masking import mask_name, mask_phone
from points_app.extensions import Model


class IssueState(enum.StrEnum):
    """Where an issue stands: 说 raised, 议 deliberating, 办 handling, 评 evaluating, then done."""

    raised = "raised"
    deliberating = "deliberating"
    handling = "handling"
    evaluating = "evaluating"
    closed = "closed"
    rejected = "rejected"
    merged = "merged"

    @property
    def is_terminal(self) -> bool:
        return self in (IssueState.closed, IssueState.rejected, IssueState.merged)


class HandlingLevel(enum.StrEnum):
    """三办: grid worker first (首办), community social worker (承办), street departments (联办)."""

    grid = "grid"
    community = "community"
    street = "street"

    @property
    def rank(self) -> int:
        return list(HandlingLevel).index(self)


class IssueCategory(enum.StrEnum):
    """What an issue is about."""

    neighbour_dispute = "neighbour_dispute"
    property_management = "property_management"
    illegal_building = "illegal_building"
    environment = "environment"
    public_services = "public_services"
    legal = "legal"
    other = "other"


class IssueChannel(enum.StrEnum):
    """How an issue reached us."""

    talk_session = "talk_session"
    grid_visit = "grid_visit"
    online = "online"
    hometown_talk = "hometown_talk"  # 乡音说事, for residents from elsewhere
    hotline = "hotline"


class AttendeeKind(enum.StrEnum):
    """Who sat at a talk session."""

    residents = "residents"
    party_members = "party_members"
    residents_committee = "residents_committee"
    property_company = "property_company"
    owners_committee = "owners_committee"
    resident_units = "resident_units"
    stakeholders = "stakeholders"
    legal_adviser = "legal_adviser"


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length)


class IssueSettings(Model):
    """A community's talk day and its handling deadlines in working days."""

    __tablename__ = "issue_settings"
    __table_args__ = (
        CheckConstraint("talk_day BETWEEN 1 AND 28", name="talk_day_in_month"),
        CheckConstraint("grid_days > 0", name="grid_days_positive"),
        CheckConstraint("community_days > 0", name="community_days_positive"),
        CheckConstraint("street_days > 0", name="street_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), unique=True)
    talk_day: Mapped[int] = mapped_column(default=15)
    grid_days: Mapped[int] = mapped_column(default=3)
    community_days: Mapped[int] = mapped_column(default=7)
    street_days: Mapped[int] = mapped_column(default=15)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped[Area] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.community

    def days_for(self, level: HandlingLevel) -> int:
        """The working days allowed at a handling level."""
        return {
            HandlingLevel.grid: self.grid_days,
            HandlingLevel.community: self.community_days,
            HandlingLevel.street: self.street_days,
        }[level]


class TalkSession(Model):
    """A 说事会: a dated meeting in an area, with attendees, minutes and the issues it took."""

    __tablename__ = "talk_sessions"
    __table_args__ = (
        CheckConstraint("length(place) > 0", name="place_not_empty"),
        CheckConstraint("length(chair) > 0", name="chair_not_empty"),
        Index("ix_talk_sessions_area_held", "area_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    held_on: Mapped[dt.date]
    place: Mapped[str] = mapped_column(String(200))
    chair: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    attendees: Mapped[list[TalkAttendee]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="TalkAttendee.id"
    )

    @property
    def attendee_count(self) -> int:
        return sum(a.count for a in self.attendees)


class TalkAttendee(Model):
    """One group at a talk session: a kind, who (names or organisations), how many."""

    __tablename__ = "talk_attendees"
    __table_args__ = (CheckConstraint("count >= 1", name="count_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("talk_sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AttendeeKind] = mapped_column(_enum(AttendeeKind, "attendee_kind", 30))
    names: Mapped[str] = mapped_column(String(500), default="")
    count: Mapped[int] = mapped_column(default=1)

    session: Mapped[TalkSession] = relationship(back_populates="attendees")

    @property
    def area(self) -> Area:
        return self.session.area


class Issue(Model):
    """A resident's concern (事项), moved through 说 → 议 → 办 → 评 by `transition()` only."""

    __tablename__ = "issues"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint(
            "(state = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_self"),
        CheckConstraint(
            "state <> 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"
        ),
        CheckConstraint("state <> 'handling' OR level IS NOT NULL", name="handling_has_level"),
        CheckConstraint("state <> 'handling' OR due_on IS NOT NULL", name="handling_has_due"),
        # The reports read issues by when they were raised, closed or fell due, for an area;
        # these hold every column those figures need (no table reads). The overdue ones are
        # found per area (state, then area, then deadline), for one community or a county.
        Index("ix_issues_state_due", "state", "area_id", "due_on", "created_at"),
        Index("ix_issues_created_at", "created_at", "area_id", "category", "level"),
        Index("ix_issues_closed_at", "closed_at", "state", "area_id", "category", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[IssueCategory] = mapped_column(_enum(IssueCategory, "issue_category", 30))
    channel: Mapped[IssueChannel] = mapped_column(_enum(IssueChannel, "issue_channel", 20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    state: Mapped[IssueState] = mapped_column(
        _enum(IssueState, "issue_state", 20), default=IssueState.raised
    )
    level: Mapped[HandlingLevel | None] = mapped_column(_enum(HandlingLevel, "handling_level", 20))
    due_on: Mapped[dt.date | None]
    resident_name: Mapped[str | None] = mapped_column(String(50))
    # Encrypted at rest; `resident_phone` reads and assigns the plain number.
    resident_phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    resident_phone_hash: Mapped[str | None] = mapped_column(String(64))
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    raised_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("talk_sessions.id"), index=True
    )
    decision: Mapped[str | None] = mapped_column(Text)
    decided_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("talk_sessions.id"), index=True
    )
    resolution: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]

    area: Mapped[Area] = relationship(lazy="joined")
    raised_by: Mapped[User | None] = relationship()
    raised_session: Mapped[TalkSession | None] = relationship(foreign_keys=[raised_session_id])
    decided_session: Mapped[TalkSession | None] = relationship(foreign_keys=[decided_session_id])
    merged_into: Mapped[Issue | None] = relationship(remote_side=[id])
    events: Mapped[list[IssueEvent]] = relationship(
        back_populates="issue", order_by="IssueEvent.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[IssuePhoto]] = relationship(
        back_populates="issue", order_by="IssuePhoto.id", cascade="all, delete-orphan"
    )
    evaluations: Mapped[list[IssueEvaluation]] = relationship(
        back_populates="issue", order_by="IssueEvaluation.id", cascade="all, delete-orphan"
    )

    resident_phone = encrypted_field("issues.resident_phone")

    @property
    def masked_resident_name(self) -> str:
        return mask_name(self.resident_name)

    @property
    def masked_resident_phone(self) -> str:
        return mask_phone(self.resident_phone)

    @property
    def latest_evaluation(self) -> IssueEvaluation | None:
        return self.evaluations[-1] if self.evaluations else None

    def is_overdue(self, today: dt.date) -> bool:
        """Return True if the issue is being handled past its deadline."""
        return self.state is IssueState.handling and self.due_on is not None and today > self.due_on


class IssueEvent(Model):
    """One move of an issue (a line of its 流转单): from, to, level, who, when, note."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[IssueState | None] = mapped_column(_enum(IssueState, "issue_state", 20))
    to_state: Mapped[IssueState] = mapped_column(_enum(IssueState, "issue_state", 20))
    level: Mapped[HandlingLevel | None] = mapped_column(_enum(HandlingLevel, "handling_level", 20))
    due_on: Mapped[dt.date | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("talk_sessions.id"))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("issue_evaluations.id"))
    # A timeline line that records a mediation moves nothing: from_state == to_state.
    mediation_id: Mapped[int | None] = mapped_column(ForeignKey("mediations.id"))

    issue: Mapped[Issue] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
    session: Mapped[TalkSession | None] = relationship()
    evaluation: Mapped[IssueEvaluation | None] = relationship()
    mediation: Mapped[Mediation | None] = relationship()

    @property
    def area(self) -> Area:
        return self.issue.area

    @property
    def is_move(self) -> bool:
        """False for a line that only records something (a mediation) without a move."""
        return self.mediation_id is None

    @property
    def is_escalation(self) -> bool:
        return (
            self.is_move
            and self.from_state is IssueState.handling
            and self.to_state is IssueState.handling
        )

    @property
    def is_send_back(self) -> bool:
        return self.from_state is IssueState.evaluating and self.to_state is IssueState.handling


class IssueEvaluation(Model):
    """The resident's rating (评): satisfaction 1–5 and whether it is solved."""

    __tablename__ = "issue_evaluations"
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_1_to_5"),
        # The reports' average satisfaction of a period.
        Index("ix_issue_evaluations_at", "at", "issue_id", "satisfaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    satisfaction: Mapped[int]
    is_solved: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    is_by_proxy: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    issue: Mapped[Issue] = relationship(back_populates="evaluations")
    recorded_by: Mapped[User | None] = relationship()

    @property
    def area(self) -> Area:
        return self.issue.area

    @property
    def is_accepted(self) -> bool:
        """A rating closes the issue only when it is solved and satisfaction is above 2."""
        return self.is_solved and self.satisfaction > 2


class MediationOutcome(enum.StrEnum):
    """How a mediation of a dispute ended (矛盾纠纷调解)."""

    mediated = "mediated"  # 调解成功
    agreement_signed = "agreement_signed"  # 签订调解协议
    not_settled = "not_settled"  # 调解不成
    referred = "referred"  # 移交 (court, arbitration, another department)

    @property
    def is_settled(self) -> bool:
        return self in (MediationOutcome.mediated, MediationOutcome.agreement_signed)


class Mediation(Model):
    """A mediation of a dispute issue: outcome, mediator, date; also a line in its timeline."""

    __tablename__ = "mediations"
    __table_args__ = (
        CheckConstraint("length(mediator) > 0", name="mediator_not_empty"),
        Index("ix_mediations_mediated_on", "mediated_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[MediationOutcome] = mapped_column(
        _enum(MediationOutcome, "mediation_outcome", 20)
    )
    mediator: Mapped[str] = mapped_column(String(100))
    mediated_on: Mapped[dt.date]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    issue: Mapped[Issue] = relationship()

    @property
    def area(self) -> Area:
        return self.issue.area


class IssuePhoto(Model):
    """A photo of an issue, stored under the instance folder under a random name."""

    __tablename__ = "issue_photos"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    issue: Mapped[Issue] = relationship(back_populates="photos")

    @property
    def area(self) -> Area:
        return self.issue.area


class CalendarDay(Model):
    """A day the admin marks as a holiday or a working day (调休), over the built-in calendar.

    For years the `chinesecalendar` package does not know yet, or a local change; deadlines
    count working days by these rows first.
    """

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    is_working_day: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
