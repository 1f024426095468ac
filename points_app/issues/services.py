"""Services for residents' issues and talk sessions. They flush, never commit.

The workflow moves themselves live in `points_app.issues.workflow`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.issues import deadlines
from points_app.issues.models import (
    AttendeeKind,
    Issue,
    IssueCategory,
    IssueChannel,
    IssuePhoto,
    IssueSettings,
    TalkAttendee,
    TalkSession,
)
from points_app.issues.photos import MAX_PHOTOS_PER_ISSUE, PreparedPhoto
from points_app.issues.workflow import open_issue

ISSUE_AREA_LEVELS = (AreaLevel.community, AreaLevel.grid, AreaLevel.microgrid)
PHONE_RE = re.compile(r"^[0-9+\- ]{5,20}$")
DEFAULT_TALK_DAY = 15


def _invalid(code: str, message: Any) -> DomainError:
    return DomainError(code, message, 422)


def _check_issue_area(area: Area) -> None:
    if area.level not in ISSUE_AREA_LEVELS:
        raise _invalid("invalid_area", _l("Choose a community, grid or microgrid for the issue."))


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _enum_value(cls: Any, value: Any, code: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise _invalid(code, _l("Unknown value %(value)s.", value=str(value)[:40])) from None


def raise_issue(
    *,
    actor: Any,
    area: Area,
    title: str,
    category: IssueCategory | str,
    channel: IssueChannel | str = IssueChannel.grid_visit,
    description: str = "",
    resident_name: str | None = None,
    resident_phone: str | None = None,
    is_anonymous: bool = False,
    session: TalkSession | None = None,
    photos: Sequence[PreparedPhoto] = (),
    at: dt.datetime | None = None,
) -> Issue:
    """Record a resident's concern (说) in an area at or below a community.

    Photos are prepared (checked) beforehand; write their files after the commit.
    """
    if not can(actor, Permission.raise_issue, area):
        raise Forbidden(_l("You may not record issues in this area."))
    _check_issue_area(area)
    title = _text(title, 120)
    if not title:
        raise _invalid("title_required", _l("Give the issue a short title."))
    category = _enum_value(IssueCategory, category, "invalid_category")
    channel = _enum_value(IssueChannel, channel, "invalid_channel")
    phone = _text(resident_phone, 20) or None
    if phone and not PHONE_RE.match(phone):
        raise _invalid("invalid_phone", _l("Enter a phone number of digits only."))
    if len(photos) > MAX_PHOTOS_PER_ISSUE:
        raise _invalid(
            "too_many_photos", _l("At most %(n)s photos per issue.", n=MAX_PHOTOS_PER_ISSUE)
        )
    if session is not None:
        if community_of(session.area) != community_of(area):
            raise _invalid("wrong_session", _l("That talk session belongs to another community."))
        channel = IssueChannel.talk_session
    issue = Issue(
        title=title,
        description=_text(description, 5000),
        category=category,
        channel=channel,
        area=area,
        resident_name=_text(resident_name, 50) or None,
        resident_phone=phone,
        is_anonymous=bool(is_anonymous),
        raised_by_id=getattr(actor, "id", None),
        raised_session=session,
    )
    db.session.add(issue)
    open_issue(issue, actor=actor, at=at or deadlines.now())
    _add_photo_rows(issue, photos, actor)
    db.session.flush()
    return issue


def _add_photo_rows(issue: Issue, photos: Sequence[PreparedPhoto], actor: Any) -> list[IssuePhoto]:
    rows = [
        IssuePhoto(
            issue=issue,
            filename=photo.filename,
            content_type=photo.content_type,
            size_bytes=len(photo.data),
            width=photo.width,
            height=photo.height,
            uploaded_by_id=getattr(actor, "id", None),
        )
        for photo in photos
    ]
    db.session.add_all(rows)
    return rows


def add_photos(issue: Issue, photos: Sequence[PreparedPhoto], *, actor: Any) -> list[IssuePhoto]:
    """Attach prepared photos to an issue (write their files after the commit)."""
    if not (
        can(actor, Permission.raise_issue, issue.area)
        or can(actor, Permission.handle_issue, issue.area)
    ):
        raise Forbidden(_l("You may not add photos to this issue."))
    if issue.state.is_terminal:
        raise DomainError("issue_finished", _l("This issue is finished; it takes no new photos."))
    if not photos:
        raise _invalid("photo_required", _l("Choose a photo to upload."))
    if len(issue.photos) + len(photos) > MAX_PHOTOS_PER_ISSUE:
        raise _invalid(
            "too_many_photos", _l("At most %(n)s photos per issue.", n=MAX_PHOTOS_PER_ISSUE)
        )
    rows = _add_photo_rows(issue, photos, actor)
    db.session.flush()
    return rows


def reveal_resident_contact(issue: Issue, *, actor: Any) -> tuple[str, str]:
    """Return the resident's full name and phone to a handler, and audit that it was seen."""
    if not can(actor, Permission.handle_issue, issue.area):
        raise Forbidden(_l("You may not see the resident's contact details."))
    record(actor, "issue.reveal_contact", "issue", issue.id)
    db.session.flush()
    return issue.resident_name or "", issue.resident_phone or ""


# --- the resident's own rating link -------------------------------------------------------


def _rating_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="issue-rating")


def rating_token(issue: Issue) -> str:
    """A signed token for the resident to rate this round of handling themselves."""
    return str(_rating_serializer().dumps([issue.id, len(issue.evaluations)]))


def issue_for_rating_token(token: str) -> Issue:
    """The issue a rating token is for; refuse forged tokens and tokens already used."""
    try:
        issue_id, round_no = _rating_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise DomainError(
            "invalid_code", _l("This link is not valid. Ask your grid worker for a new one."), 400
        ) from None
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        raise DomainError("not_found", _l("This issue no longer exists."), 404)
    if round_no != len(issue.evaluations):
        raise DomainError("already_rated", _l("Thank you, this has already been rated."), 409)
    return issue


# --- settings: the talk day and the deadlines ---------------------------------------------


def settings_for(area: Area) -> IssueSettings:
    """The settings of the community an area lies in (defaults if none were saved)."""
    community = community_of(area)
    if community is not None:
        saved = db.session.scalars(
            select(IssueSettings).where(IssueSettings.community_id == community.id)
        ).first()
        if saved is not None:
            return saved
    days = deadlines.DEFAULT_DAYS
    # Not added to the session: an unsaved row carrying the defaults.
    return IssueSettings(
        community_id=community.id if community else None,
        talk_day=DEFAULT_TALK_DAY,
        grid_days=days["grid"],
        community_days=days["community"],
        street_days=days["street"],
    )


def save_settings(
    community: Area,
    *,
    actor: Any,
    talk_day: int,
    grid_days: int,
    community_days: int,
    street_days: int,
) -> IssueSettings:
    """Set a community's fixed talk day and its working-day deadlines per handling level."""
    if community.level is not AreaLevel.community:
        raise _invalid("invalid_area", _l("Settings belong to a community."))
    if not can(actor, Permission.deliberate_issue, community):
        raise Forbidden(_l("You may not change this community's settings."))
    if not 1 <= talk_day <= 28:
        raise _invalid("invalid_talk_day", _l("The talk day is a day of the month from 1 to 28."))
    for value in (grid_days, community_days, street_days):
        if not 1 <= value <= 90:
            raise _invalid("invalid_deadline", _l("Deadlines are 1 to 90 working days."))
    settings = db.session.scalars(
        select(IssueSettings).where(IssueSettings.community_id == community.id)
    ).first()
    if settings is None:
        settings = IssueSettings(community=community)
        db.session.add(settings)
    settings.talk_day = talk_day
    settings.grid_days = grid_days
    settings.community_days = community_days
    settings.street_days = street_days
    record(actor, "issue_settings.update", "area", community.id)
    db.session.flush()
    return settings


# --- talk sessions ------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeInput:
    """One group at a talk session, as entered."""

    kind: AttendeeKind | str
    count: int
    names: str = ""


def _attendee_rows(attendees: Sequence[AttendeeInput]) -> list[TalkAttendee]:
    rows = []
    for entry in attendees:
        kind = _enum_value(AttendeeKind, entry.kind, "invalid_attendee_kind")
        if not isinstance(entry.count, int) or entry.count < 1 or entry.count > 10_000:
            raise _invalid("invalid_count", _l("Attendee counts are whole numbers from 1."))
        rows.append(TalkAttendee(kind=kind, count=entry.count, names=_text(entry.names, 500)))
    return rows


def _check_session_fields(area: Area, held_on: dt.date, place: str, chair: str) -> None:
    _check_issue_area(area)
    if not place:
        raise _invalid("place_required", _l("Say where the talk session is held."))
    if not chair:
        raise _invalid("chair_required", _l("Say who chairs the talk session."))
    if not isinstance(held_on, dt.date):
        raise _invalid("date_required", _l("Give the date of the talk session."))


def create_talk_session(
    *,
    actor: Any,
    area: Area,
    held_on: dt.date,
    place: str,
    chair: str,
    minutes: str = "",
    attendees: Sequence[AttendeeInput] = (),
) -> TalkSession:
    """Schedule or record a talk session (说事会) in a community or below."""
    if not can(actor, Permission.deliberate_issue, area):
        raise Forbidden(_l("You may not hold talk sessions in this area."))
    place, chair = _text(place, 200), _text(chair, 100)
    _check_session_fields(area, held_on, place, chair)
    session = TalkSession(
        area=area,
        held_on=held_on,
        place=place,
        chair=chair,
        minutes=_text(minutes, 20_000),
        created_by_id=getattr(actor, "id", None),
        attendees=_attendee_rows(attendees),
    )
    db.session.add(session)
    db.session.flush()
    record(actor, "talk_session.create", "talk_session", session.id)
    return session


def update_talk_session(
    session: TalkSession,
    *,
    actor: Any,
    held_on: dt.date,
    place: str,
    chair: str,
    minutes: str,
    attendees: Sequence[AttendeeInput],
) -> TalkSession:
    """Change a talk session's details, minutes and attendees (the list is replaced)."""
    if not can(actor, Permission.deliberate_issue, session.area):
        raise Forbidden(_l("You may not change this talk session."))
    place, chair = _text(place, 200), _text(chair, 100)
    _check_session_fields(session.area, held_on, place, chair)
    rows = _attendee_rows(attendees)
    session.held_on = held_on
    session.place = place
    session.chair = chair
    session.minutes = _text(minutes, 20_000)
    session.attendees.clear()
    db.session.flush()
    session.attendees.extend(rows)
    record(actor, "talk_session.update", "talk_session", session.id)
    db.session.flush()
    return session
