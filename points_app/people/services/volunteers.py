"""Volunteers: registration, their phone (revealed on purpose, audited) and work unit.

Plain functions taking the acting user; they flush, never commit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.core.masking import mask_phone
from points_app.core.permissions import can
from points_app.extensions import db
from points_app.people import units
from points_app.people.models import (
    Volunteer,
)
from points_app.people.services.common import P, _refuse_unless, _text
from points_app.people.sign_in import follow_phone_change, open_volunteer_account
from points_app.people.validation import clean_mobile

# Volunteers -------------------------------------------------------------------------------


def _check_home_community(actor: Any, area: Area) -> None:
    if area.level is not AreaLevel.community:
        raise DomainError(
            "invalid_area",
            _l("Choose the community the volunteer lives in."),
            status=422,
            field="home_community_id",
        )
    _refuse_unless(actor, P.manage_people, area)


def _check_volunteer_phone(actor: Any, phone: str, exclude_id: int | None) -> None:
    clash = db.session.scalars(
        select(Volunteer).where(Volunteer.phone == phone, Volunteer.id != (exclude_id or 0))
    ).first()
    if clash is None:
        return
    if can(actor, P.view_people, clash.area):
        message = _l(
            "The phone %(phone)s is already registered to %(name)s (volunteer #%(id)s).",
            phone=mask_phone(phone),
            name=clash.real_name,
            id=clash.id,
        )
    else:
        message = _l(
            "The phone %(phone)s is already registered to a volunteer of %(community)s.",
            phone=mask_phone(phone),
            community=clash.home_community.name,
        )
    raise DomainError("duplicate_phone", message, status=422, field="phone", volunteer_id=clash.id)


def create_volunteer(
    actor: Any,
    *,
    real_name: str,
    phone: str,
    home_community: Area,
    is_party_member: bool = False,
    work_unit: str | None = None,
    open_account: bool = True,
) -> Volunteer:
    """Register a volunteer (or in-service Party member) living in a community, with a
    sign-in account whose username is the phone (see `people.sign_in`)."""
    name = _text(real_name, field="real_name", max_length=50)
    clean_phone = clean_mobile(phone, required=True)
    assert clean_phone is not None
    _check_home_community(actor, home_community)
    _check_volunteer_phone(actor, clean_phone, None)
    volunteer = Volunteer(
        real_name=name,
        phone=clean_phone,
        home_community=home_community,
        is_party_member=is_party_member,
        unit=units.unit_for(home_community, _work_unit_text(work_unit)),
    )
    db.session.add(volunteer)
    db.session.flush()
    record(actor, "volunteer.create", "volunteer", volunteer.id)
    if open_account:
        open_volunteer_account(actor, volunteer)
    return volunteer


def reveal_volunteer_phone(actor: Any, volunteer: Volunteer, *, purpose: str = "view") -> str:
    """Return a volunteer's full phone to someone who manages them; audited."""
    _refuse_unless(actor, P.manage_people, volunteer.area)
    record(actor, "volunteer.reveal_phone", "volunteer", volunteer.id, purpose=purpose)
    db.session.flush()
    return volunteer.phone or ""


def _work_unit_text(value: str | None) -> str | None:
    return _text(value, field="work_unit", max_length=units.MAX_NAME, required=False) or None


def update_volunteer(
    actor: Any,
    volunteer: Volunteer,
    *,
    real_name: str,
    phone: str,
    home_community: Area,
    is_party_member: bool,
    work_unit: str | None,
) -> Volunteer:
    """Change a volunteer's details; moving them needs rights in both communities."""
    _refuse_unless(actor, P.manage_people, volunteer.area)
    name = _text(real_name, field="real_name", max_length=50)
    clean_phone = clean_mobile(phone, required=True)
    assert clean_phone is not None
    _check_home_community(actor, home_community)
    _check_volunteer_phone(actor, clean_phone, volunteer.id)
    follow_phone_change(volunteer, clean_phone)
    volunteer.real_name = name
    volunteer.phone = clean_phone
    volunteer.home_community = home_community
    volunteer.is_party_member = is_party_member
    volunteer.unit = units.unit_for(home_community, _work_unit_text(work_unit))
    db.session.flush()
    record(actor, "volunteer.update", "volunteer", volunteer.id)
    return volunteer
