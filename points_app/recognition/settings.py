"""A community's recognition settings: days of public notice, certificates at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.clock import local_date, local_zone
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.recognition.models import RecognitionSettings

MAX_NOTICE_DAYS = 60


def settings_for(area: Area) -> RecognitionSettings:
    """The settings of the community an area lies in (defaults, unsaved, if none)."""
    community = community_of(area)
    if community is not None:
        saved = db.session.scalars(
            select(RecognitionSettings).where(RecognitionSettings.community_id == community.id)
        ).first()
        if saved is not None:
            return saved
    return RecognitionSettings(
        community_id=community.id if community else None,
        notice_days=0,
        certificates_at_once=False,
        contact="",
    )


def save_settings(
    community: Area,
    *,
    actor: Any,
    notice_days: int,
    certificates_at_once: bool,
    contact: str = "",
) -> RecognitionSettings:
    """Set how long earned points wait on public notice and how certificates are issued."""
    if community.level is not AreaLevel.community:
        raise DomainError("invalid_area", _l("Settings belong to a community."), 422)
    if not can(actor, Permission.issue_points, community):
        raise Forbidden(str(_l("You may not change this community's settings.")))
    if not 0 <= notice_days <= MAX_NOTICE_DAYS:
        raise DomainError(
            "invalid_notice_days",
            _l("Days of public notice are 0 to %(max)s.", max=MAX_NOTICE_DAYS),
            422,
        )
    settings = db.session.scalars(
        select(RecognitionSettings).where(RecognitionSettings.community_id == community.id)
    ).first()
    if settings is None:
        settings = RecognitionSettings(community_id=community.id)
        db.session.add(settings)
    settings.notice_days = notice_days
    settings.certificates_at_once = certificates_at_once
    settings.contact = (contact or "").strip()[:100]
    settings.updated_at = utcnow()
    record(actor, "recognition_settings.update", "area", community.id, notice_days=notice_days)
    db.session.flush()
    return settings


def notice_until(community: Area, now: dt.datetime | None = None) -> dt.datetime | None:
    """When points earned now in the community become spendable: the start of the local
    day `notice_days` after today; None when the community posts no notice."""
    days = settings_for(community).notice_days
    if not days:
        return None
    day = local_date(now or utcnow()) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()).astimezone(dt.UTC)
