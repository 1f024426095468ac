"""Legal talks (法律宣讲, 法官说法, 警民说事) and the communities' legal advisers.

A legal talk is an event of kind `legal_talk`: it has a place and a time, a QR code for
check-in, attendance and people served like every other event, so the figures and the
volunteers' hours need nothing new. What it adds lives here: the speaker (a community's
legal adviser, 一社区一法律顾问) and the topic. Whether attending earns points is the
community's choice (`LegalSettings`); by default it does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.events.models import Event, EventKind, PointsRule
from points_app.extensions import Model, db


class LegalAdviser(Model):
    """A community's legal adviser (法律顾问): a lawyer, judge or police officer who speaks."""

    __tablename__ = "legal_advisers"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    organisation: Mapped[str] = mapped_column(String(100), default="")  # law firm, court, station
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    community: Mapped[Area] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.community


class LegalTalk(Model):
    """The speaker and topic of a legal-talk event."""

    __tablename__ = "legal_talks"
    __table_args__ = (CheckConstraint("length(topic) > 0", name="topic_not_empty"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    speaker_id: Mapped[int] = mapped_column(ForeignKey("legal_advisers.id"), index=True)
    topic: Mapped[str] = mapped_column(String(200))

    event: Mapped[Event] = relationship(lazy="joined")
    speaker: Mapped[LegalAdviser] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.event.area


class LegalSettings(Model):
    """A community's choice whether attending a legal talk earns points."""

    __tablename__ = "legal_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), unique=True)
    talks_earn_points: Mapped[bool] = mapped_column(default=False)
    points_per_talk: Mapped[int] = mapped_column(default=1)


MANAGE = Permission.manage_events


def _community(area: Area) -> Area:
    if area.level is not AreaLevel.community:
        raise DomainError("validation_error", _l("Choose a community."), 422)
    return area


def add_adviser(
    community: Area, *, name: str, organisation: str = "", phone: str = "", actor: Any
) -> LegalAdviser:
    """Register a legal adviser for a community."""
    _community(community)
    if not can(actor, MANAGE, community):
        raise Forbidden(_l("You may not manage this community's legal advisers."))
    name = name.strip()
    if not name:
        raise DomainError("validation_error", _l("Give the adviser's name."), 422)
    adviser = LegalAdviser(
        community=community,
        name=name[:50],
        organisation=organisation.strip()[:100],
        phone=phone.strip()[:20] or None,
    )
    db.session.add(adviser)
    db.session.flush()
    record(actor, "legal_adviser.create", "legal_adviser", adviser.id)
    return adviser


def settings_for(community: Area) -> LegalSettings:
    """The community's legal-talk settings (defaults when none were saved)."""
    found = db.session.scalars(
        select(LegalSettings).where(LegalSettings.community_id == community.id)
    ).first()
    return found or LegalSettings(community_id=community.id, talks_earn_points=False)


def set_talk_points(community: Area, *, earn: bool, points: int, actor: Any) -> LegalSettings:
    """Say whether attending this community's legal talks earns points, and how many."""
    _community(community)
    if not can(actor, Permission.issue_points, community):
        raise Forbidden(_l("You may not change this community's points rules."))
    if earn and not 1 <= points <= 1000:
        raise DomainError("validation_error", _l("Points must be between 1 and 1000."), 422)
    settings = settings_for(community)
    settings.talks_earn_points, settings.points_per_talk = earn, points if earn else 1
    db.session.add(settings)
    db.session.flush()
    record(actor, "legal_settings.update", "area", community.id, earn=earn, points=points)
    return settings


@dataclass
class LegalTalkData:
    """What the organiser fills in for a legal talk."""

    community: Area
    speaker: LegalAdviser
    topic: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = ""
    title: str = ""


def create_legal_talk(data: LegalTalkData, *, actor: Any) -> LegalTalk:
    """Create a legal talk: an event of kind legal_talk with its speaker and topic.

    Attendance earns points (a fixed amount per talk) only if the community says so.
    """
    from points_app.events.services import EventData, create_event

    community = _community(data.community)
    if not can(actor, MANAGE, community):
        raise Forbidden(_l("You may not organise events in this community."))
    if data.speaker.community_id != community.id:
        raise DomainError(
            "validation_error", _l("The speaker is another community's adviser."), 422
        )
    topic = data.topic.strip()
    if not topic:
        raise DomainError("validation_error", _l("Give the talk's topic."), 422)
    settings = settings_for(community)
    event = create_event(
        EventData(
            title=(data.title.strip() or topic)[:200],
            kind=EventKind.legal_talk,
            area=community,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=data.place,
            points_rule=PointsRule.fixed,
            points_value=settings.points_per_talk if settings.talks_earn_points else 0,
            needs_checkout=False,
            needs_approval=True,
        ),
        actor=actor,
    )
    talk = LegalTalk(event=event, speaker=data.speaker, topic=topic[:200])
    db.session.add(talk)
    db.session.flush()
    return talk


def advisers_of(communities: list[Area]) -> list[LegalAdviser]:
    """The active legal advisers of some communities, by community then name."""
    ids = [c.id for c in communities]
    if not ids:
        return []
    stmt = (
        select(LegalAdviser)
        .where(LegalAdviser.community_id.in_(ids), LegalAdviser.is_active.is_(True))
        .order_by(LegalAdviser.community_id, LegalAdviser.name)
    )
    return list(db.session.scalars(stmt))
