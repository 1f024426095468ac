"""Organisations (volunteer teams, units, social organisations) and their members.

Plain functions taking the acting user; they flush, never commit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.errors import DomainError, NotFound
from points_app.core.permissions import can
from points_app.extensions import db
from points_app.people.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Volunteer,
)
from points_app.people.services.common import P, _refuse_unless, _text
from points_app.people.validation import clean_contact_phone

# Organisations ----------------------------------------------------------------------------


def _check_organisation(actor: Any, name: str, area: Area, exclude_id: int | None) -> None:
    if area.level.depth > AreaLevel.community.depth:
        raise DomainError(
            "invalid_area",
            _l("An organisation belongs to a community, a street or the county."),
            status=422,
            field="area_id",
        )
    _refuse_unless(actor, P.manage_people, area)
    clash = db.session.scalars(
        select(Organisation).where(
            Organisation.area_id == area.id,
            func.lower(Organisation.name) == name.lower(),
            Organisation.id != (exclude_id or 0),
        )
    ).first()
    if clash is not None:
        raise DomainError(
            "duplicate_name",
            _l(
                "%(area)s already has an organisation called %(name)s (organisation #%(id)s).",
                area=area.name,
                name=clash.name,
                id=clash.id,
            ),
            status=422,
            field="name",
            organisation_id=clash.id,
        )


def create_organisation(
    actor: Any,
    *,
    name: str,
    kind: OrganisationKind,
    area: Area,
    contact_phone: str | None = None,
) -> Organisation:
    """Register a partner organisation; its name is unique within its area."""
    clean_name = _text(name, field="name", max_length=100)
    phone = clean_contact_phone(contact_phone)
    _check_organisation(actor, clean_name, area, None)
    organisation = Organisation(name=clean_name, kind=kind, area=area, contact_phone=phone)
    db.session.add(organisation)
    db.session.flush()
    record(actor, "organisation.create", "organisation", organisation.id)
    return organisation


def update_organisation(
    actor: Any,
    organisation: Organisation,
    *,
    name: str,
    kind: OrganisationKind,
    area: Area,
    contact_phone: str | None,
) -> Organisation:
    """Change an organisation's name, kind, area or contact phone."""
    _refuse_unless(actor, P.manage_people, organisation.area)
    clean_name = _text(name, field="name", max_length=100)
    phone = clean_contact_phone(contact_phone)
    _check_organisation(actor, clean_name, area, organisation.id)
    organisation.name, organisation.kind = clean_name, kind
    organisation.area, organisation.contact_phone = area, phone
    db.session.flush()
    record(actor, "organisation.update", "organisation", organisation.id)
    return organisation


def add_member(
    actor: Any, organisation: Organisation, volunteer: Volunteer, *, is_leader: bool = False
) -> Membership:
    """Add a volunteer to an organisation."""
    _refuse_unless(actor, P.manage_people, organisation.area)
    if not can(actor, P.view_people, volunteer.area):
        raise NotFound(str(_l("No such volunteer.")))
    existing = db.session.scalars(
        select(Membership).where(
            Membership.organisation_id == organisation.id,
            Membership.volunteer_id == volunteer.id,
        )
    ).first()
    if existing is not None:
        raise DomainError(
            "already_member",
            _l(
                "%(name)s is already a member of %(organisation)s.",
                name=volunteer.real_name,
                organisation=organisation.name,
            ),
            status=422,
            field="volunteer_id",
        )
    membership = Membership(organisation=organisation, volunteer=volunteer, is_leader=is_leader)
    db.session.add(membership)
    db.session.flush()
    record(actor, "membership.add", "organisation", organisation.id, volunteer_id=volunteer.id)
    return membership


def remove_member(actor: Any, membership: Membership) -> None:
    """Take a volunteer out of an organisation."""
    _refuse_unless(actor, P.manage_people, membership.organisation.area)
    record(
        actor,
        "membership.remove",
        "organisation",
        membership.organisation_id,
        volunteer_id=membership.volunteer_id,
    )
    db.session.delete(membership)
    db.session.flush()
