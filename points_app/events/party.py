"""In-service Party members: yearly registration with the home community (报到) and the
needs list (居民点单、社区下单、党员接单). They flush and never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.events.models import Need, NeedMove, NeedSource, NeedStatus, PartyRegistration
from points_app.extensions import db
from points_app.people.models import Volunteer

N = NeedStatus
ALLOWED_MOVES: dict[NeedStatus, frozenset[NeedStatus]] = {
    N.open: frozenset({N.claimed, N.cancelled}),
    N.claimed: frozenset({N.done, N.open, N.cancelled}),  # open again = released
    N.done: frozenset(),
    N.cancelled: frozenset(),
}


def register_party_member(
    volunteer: Volunteer, *, actor: Any, now: dt.datetime | None = None
) -> PartyRegistration:
    """Register an in-service Party member with their home community for this year (once)."""
    if not volunteer.is_party_member:
        raise DomainError(
            "not_party_member", _l("Only Party members report to their community."), 403
        )
    year = (now or utcnow()).year
    existing = registration_for(volunteer, year)
    if existing is not None:
        return existing
    registration = PartyRegistration(
        volunteer_id=volunteer.id,
        community_id=volunteer.home_community_id,
        year=year,
        registered_by_id=_id(actor),
    )
    db.session.add(registration)
    record(actor, "party.register", "volunteer", volunteer.id, year=year)
    db.session.flush()
    return registration


def registration_for(volunteer: Volunteer, year: int) -> PartyRegistration | None:
    """The volunteer's registration for a year, if any."""
    return db.session.scalars(
        select(PartyRegistration).where(
            PartyRegistration.volunteer_id == volunteer.id, PartyRegistration.year == year
        )
    ).first()


def post_need(
    *, community: Area, title: str, source: NeedSource, description: str = "", actor: Any
) -> Need:
    """Put a need on a community's list: a resident's order or the community's."""
    if community.level is not AreaLevel.community:
        raise DomainError("validation_error", _l("Needs are posted in a community."), 422)
    if not title.strip():
        raise DomainError("validation_error", _l("Say what is needed."), 422)
    need = Need(
        community=community,
        title=title.strip(),
        description=description.strip(),
        source=source,
        posted_by_id=_id(actor),
    )
    db.session.add(need)
    db.session.flush()
    db.session.add(NeedMove(need_id=need.id, to_status=N.open, actor_id=_id(actor)))
    db.session.flush()
    return need


def transition_need(
    need: Need,
    to: NeedStatus,
    *,
    actor: Any,
    volunteer: Volunteer | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Need:
    """Move a need along: claimed by a registered Party member, done, released, cancelled."""
    now = now or utcnow()
    if to not in ALLOWED_MOVES[need.status]:
        raise DomainError(
            "invalid_transition",
            _l("This need is already %(status)s.", status=need.status.value),
            409,
        )
    before = need.status
    if to is N.claimed:
        if volunteer is None or registration_for(volunteer, now.year) is None:
            raise DomainError(
                "not_registered",
                _l("Register with your community for this year before claiming needs."),
                403,
            )
        if volunteer.home_community_id != need.community_id:
            raise DomainError(
                "other_community", _l("You can claim needs of your own community only."), 403
            )
        # Two members tapping "claim" at once: only the first one's update matches.
        claimed = db.session.execute(
            update(Need)
            .where(Need.id == need.id, Need.status == N.open)
            .values(status=N.claimed, claimed_by_id=volunteer.id, claimed_at=now)
            .returning(Need.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        db.session.refresh(need)
        if claimed is None:
            raise DomainError("already_claimed", _l("Someone has claimed this need already."), 409)
    else:
        need.status = to
        if to is N.open:
            need.claimed_by_id, need.claimed_at = None, None
        if to is N.done:
            need.done_at = now
    db.session.add(
        NeedMove(
            need_id=need.id,
            from_status=before,
            to_status=to,
            actor_id=_id(actor),
            at=now,
            note=note.strip()[:500],
        )
    )
    db.session.flush()
    return need


def _id(actor: Any) -> int | None:
    return getattr(actor, "id", None) if getattr(actor, "is_authenticated", True) else None
