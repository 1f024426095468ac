"""Recognition: a community's notice settings, objections to noticed awards (异议),
volunteer service certificates (志愿服务记录证明) and resolution bonuses."""

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
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.core.masking import mask_name
from points_app.extensions import Model
from points_app.ledger.models import Transfer
from points_app.people.models import Volunteer


def _enum(cls: type[enum.Enum], name: str) -> Any:
    return Enum(cls, name=name, native_enum=False, length=20)


class RecognitionSettings(Model):
    """A community's choices: days of public notice, and whether certificates issue at once."""

    __tablename__ = "recognition_settings"
    __table_args__ = (
        CheckConstraint("notice_days >= 0 AND notice_days <= 60", name="notice_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), unique=True)
    notice_days: Mapped[int] = mapped_column(default=0, server_default="0")
    certificates_at_once: Mapped[bool] = mapped_column(default=False, server_default="0")
    contact: Mapped[str] = mapped_column(String(100), default="", server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    community: Mapped[Area] = relationship()


class ObjectionState(enum.StrEnum):
    """Where an objection stands; only `notice.resolve_objection` moves it."""

    open = "open"
    stood = "stood"  # the award was let stand
    reversed = "reversed"  # the award was reversed before it became final


class Objection(Model):
    """An objection (异议) a committee member records against one noticed award."""

    __tablename__ = "notice_objections"
    __table_args__ = (
        CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        CheckConstraint("(state = 'open') = (resolved_at IS NULL)", name="resolved_unless_open"),
        CheckConstraint(
            "(state = 'reversed') = (reversal_id IS NOT NULL)", name="reversal_when_reversed"
        ),
        # One open objection per award at a time.
        Index(
            "uq_notice_objections_open",
            "transfer_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[ObjectionState] = mapped_column(
        _enum(ObjectionState, "objection_state"), default=ObjectionState.open
    )
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_note: Mapped[str] = mapped_column(String(500), default="")
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)

    community: Mapped[Area] = relationship()
    transfer: Mapped[Transfer] = relationship(foreign_keys=[transfer_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def area(self) -> Area:
        return self.community


class CertificateState(enum.StrEnum):
    """Where a certificate stands; only `certificates.transition_certificate` moves it."""

    requested = "requested"
    issued = "issued"
    declined = "declined"
    revoked = "revoked"


class Certificate(Model):
    """A volunteer service record certificate (志愿服务记录证明) for a period."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("minutes >= 0", name="minutes_not_negative"),
        CheckConstraint(
            "(state IN ('issued', 'revoked')) = (number IS NOT NULL)", name="number_when_issued"
        ),
        CheckConstraint(
            "state NOT IN ('revoked', 'declined') OR length(decision_reason) > 0",
            name="reason_when_refused",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    minutes: Mapped[int] = mapped_column(default=0)
    state: Mapped[CertificateState] = mapped_column(
        _enum(CertificateState, "certificate_state"), default=CertificateState.requested
    )
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(String(500), default="")

    volunteer: Mapped[Volunteer] = relationship(lazy="joined")
    community: Mapped[Area] = relationship(lazy="joined")
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    lines: Mapped[list[CertificateLine]] = relationship(
        order_by="CertificateLine.served_on", cascade="all, delete-orphan"
    )

    @property
    def area(self) -> Area:
        return self.community

    @property
    def masked_name(self) -> str:
        return mask_name(self.volunteer.real_name)


class CertificateLine(Model):
    """One approved attendance a certificate counts, as it stood when it was issued."""

    __tablename__ = "certificate_lines"
    __table_args__ = (UniqueConstraint("certificate_id", "attendance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendances.id"))
    event_title: Mapped[str] = mapped_column(String(200))
    served_on: Mapped[dt.date]
    minutes: Mapped[int]


class EventBonus(Model):
    """The resolution bonus an event linked to an issue carries, per approved attendee."""

    __tablename__ = "event_bonuses"
    __table_args__ = (CheckConstraint("points > 0", name="points_positive"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BonusPayment(Model):
    """A resolution bonus paid: once per attendance and issue, by the unique constraint."""

    __tablename__ = "bonus_payments"
    __table_args__ = (UniqueConstraint("attendance_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendances.id"))
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    transfer: Mapped[Transfer] = relationship()


class VerifyLookup(Model):
    """One look-up on the public certificate verification page, counted per client IP so
    the page can be rate-limited across every worker."""

    __tablename__ = "verify_lookups"
    __table_args__ = (Index("ix_verify_lookups_ip_created_at", "ip", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class FeedbackSent(Model):
    """The committee sent a work unit its quarterly feedback (一单一表一卡)."""

    __tablename__ = "unit_feedback_sent"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int]
    quarter: Mapped[int]
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sent_by: Mapped[User | None] = relationship()
