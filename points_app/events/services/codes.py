"""Signed QR codes: event codes (optionally rotating) and volunteers' person cards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select

from points_app.core import qr
from points_app.core.audit import record
from points_app.core.db import prepared, utcnow
from points_app.core.errors import DomainError
from points_app.core.masking import mask_name
from points_app.core.permissions import Permission, can
from points_app.events.models import (
    Event,
    VolunteerCard,
)
from points_app.events.services.common import _now
from points_app.extensions import db
from points_app.people.models import Volunteer


def event_token(event: Event, now: dt.datetime | None = None) -> str:
    """The token an event's QR code carries now: rotating every 30 s, or fixed for print."""
    if event.rotates_code:
        return qr.sign("event", event.id, qr.current_window(_now(now).timestamp()))
    return qr.sign("event", event.id)


def _expired() -> DomainError:
    return DomainError(
        "expired_code",
        _l("This code has expired. Scan the code shown at the event again."),
        410,
    )


@prepared
def _event_query() -> Select[tuple[Event]]:
    return select(Event).where(Event.id == bindparam("id"))


def event_from_code(scanned: qr.ScannedCode, now: dt.datetime | None = None) -> Event:
    """The event a verified code names, if the code is still good; refuse it otherwise."""
    if scanned.kind != "event":
        raise DomainError(
            "invalid_code", _l("This is not an event code. Scan the code of the event."), 400
        )
    event = db.session.scalars(_event_query(), {"id": scanned.object_id}).first()
    if event is None:
        raise qr._invalid()
    if event.rotates_code:
        if scanned.extra is None:
            raise _expired()
        window = qr.current_window(_now(now).timestamp())
        # The current and the previous window; one ahead tolerates clock skew between servers.
        if not window - 1 <= scanned.extra <= window + 1:
            raise _expired()
    elif scanned.extra is not None:
        raise _expired()
    if event.is_cancelled:
        raise DomainError("event_cancelled", _l("This event has been cancelled."), 410)
    return event


def resolve_event_code(scanned: qr.ScannedCode, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a scanned event code stands for, for the scan API."""
    event = event_from_code(scanned, now)
    return {
        "kind": "event",
        "id": event.id,
        "title": event.title,
        "event_kind": event.kind.value,
        "place": event.place,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "area": {"id": event.area.id, "name": event.area.name},
        "needs_checkout": event.needs_checkout,
    }


def card_version(volunteer: Volunteer) -> int:
    """The version of the volunteer's current person card (1 until reissued)."""
    version = db.session.scalar(
        select(VolunteerCard.version).where(VolunteerCard.volunteer_id == volunteer.id)
    )
    return version or 1


def person_token(volunteer: Volunteer) -> str:
    """The token on the volunteer's printed person card."""
    return qr.sign("person", volunteer.id, card_version(volunteer))


def reissue_person_card(volunteer: Volunteer, *, actor: Any) -> int:
    """Replace a lost person card: the old one stops working at once."""
    card = db.session.get(VolunteerCard, volunteer.id)
    if card is None:
        card = VolunteerCard(volunteer_id=volunteer.id, version=2)
        db.session.add(card)
    else:
        card.version += 1
        card.issued_at = utcnow()
    record(actor, "volunteer.card_reissue", "volunteer", volunteer.id)
    db.session.flush()
    return card.version


def volunteer_from_card(scanned: qr.ScannedCode) -> Volunteer:
    """The volunteer a scanned person card names; refuse a replaced card."""
    if scanned.kind != "person":
        raise DomainError(
            "invalid_code", _l("This is not a volunteer card. Scan the volunteer's card."), 400
        )
    volunteer = db.session.get(Volunteer, scanned.object_id)
    if volunteer is None:
        raise qr._invalid()
    if scanned.extra != card_version(volunteer):
        raise DomainError(
            "card_revoked",
            _l("This card has been replaced by a newer one. Ask for the new card."),
            410,
        )
    return volunteer


def resolve_person_card(scanned: qr.ScannedCode, *, actor: Any = None) -> dict[str, Any]:
    """What a scanned person card stands for, for the scan API.

    Only those who run events where the volunteer lives (organisers, the committee, above)
    learn the real name; anyone else learns it is a volunteer's card, with a masked name.
    """
    volunteer = volunteer_from_card(scanned)
    if can(actor, Permission.manage_events, volunteer.home_community):
        return {"kind": "person", "id": volunteer.id, "name": volunteer.real_name}
    return {"kind": "person", "id": volunteer.id, "name": mask_name(volunteer.real_name)}
