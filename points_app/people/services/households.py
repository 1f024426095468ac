"""Households in need: registration, details (masked unless the role may see them), and
lookup by number.

Plain functions taking the acting user; they flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.areas.models import Area
from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.errors import DomainError, NotFound
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.people.models import (
    Household,
    HouseholdCategory,
)
from points_app.people.queries import households_by_number
from points_app.people.services.common import MAX_MEMBERS, P, _refuse_unless, _text
from points_app.people.validation import clean_id_number, clean_mobile

# Households -------------------------------------------------------------------------------


def _household_place(actor: Any, area: Area, permission: Permission) -> tuple[Area, Area | None]:
    """The community and (if given) the grid or microgrid a household lives in."""
    community = community_of(area)
    if community is None:
        raise DomainError(
            "invalid_area",
            _l("Choose the community, grid or microgrid where the household lives."),
            status=422,
            field="area_id",
        )
    _refuse_unless(actor, permission, area)
    return community, (None if area.id == community.id else area)


def _check_id_number_free(id_number: str | None, exclude_id: int | None) -> None:
    if id_number is None:
        return
    clash = db.session.scalars(
        select(Household).where(Household.id_number == id_number, Household.id != (exclude_id or 0))
    ).first()
    if clash is not None:
        raise DomainError(
            "duplicate_id_number",
            _l(
                "This ID number is already registered for household %(no)s (%(community)s).",
                no=clash.public_no,
                community=clash.community.name,
            ),
            status=422,
            field="id_number",
            household=clash.public_no,
        )


def _next_public_no(community: Area) -> str:
    """`<community code>-H<seq>`: one more than the highest number issued with this prefix."""
    # Lock the community row so two writers on PostgreSQL cannot pick the same number
    # (SQLite's BEGIN IMMEDIATE already serialises writers).
    db.session.execute(select(Area.id).where(Area.id == community.id).with_for_update())
    prefix = f"{community.code}-H"
    taken = db.session.scalars(
        select(Household.public_no).where(Household.public_no.startswith(prefix, autoescape=True))
    )
    highest = max(
        (int(no[len(prefix) :]) for no in taken if no[len(prefix) :].isdigit()), default=0
    )
    return f"{prefix}{highest + 1:03d}"


def _members(value: int | None) -> int:
    if value is None or not 1 <= value <= MAX_MEMBERS:
        raise DomainError(
            "invalid_members",
            _l("Enter the number of people, from 1 to %(n)s.", n=MAX_MEMBERS),
            status=422,
            field="members_count",
        )
    return value


def create_household(
    actor: Any,
    *,
    head_name: str,
    members_count: int,
    address: str,
    area: Area,
    category: HouseholdCategory,
    id_number: str | None = None,
    phone: str | None = None,
) -> Household:
    """Register a household in need, giving it the next public number of its community."""
    name = _text(head_name, field="head_name", max_length=50)
    members = _members(members_count)
    clean_address = _text(address, field="address", max_length=200)
    clean_id = clean_id_number(id_number)
    clean_phone = clean_mobile(phone, required=False)
    community, grid = _household_place(actor, area, P.manage_households)
    _check_id_number_free(clean_id, None)
    household = Household(
        public_no=_next_public_no(community),
        head_name=name,
        members_count=members,
        address=clean_address,
        community=community,
        grid=grid,
        category=category,
        id_number=clean_id,
        phone=clean_phone,
    )
    db.session.add(household)
    db.session.flush()
    record(actor, "household.create", "household", household.id)
    return household


def update_household(
    actor: Any,
    household: Household,
    *,
    head_name: str,
    members_count: int,
    address: str,
    area: Area,
    category: HouseholdCategory,
    id_number: str | None,
    phone: str | None,
    is_active: bool = True,
) -> Household:
    """Change a household's details; its public number never changes."""
    _refuse_unless(actor, P.manage_households, household.area)
    name = _text(head_name, field="head_name", max_length=50)
    members = _members(members_count)
    clean_address = _text(address, field="address", max_length=200)
    clean_id = clean_id_number(id_number)
    clean_phone = clean_mobile(phone, required=False)
    community, grid = _household_place(actor, area, P.manage_households)
    _check_id_number_free(clean_id, household.id)
    household.head_name, household.members_count = name, members
    household.address, household.category = clean_address, category
    household.community, household.grid = community, grid
    household.id_number, household.phone = clean_id, clean_phone
    household.is_active = is_active
    db.session.flush()
    record(actor, "household.update", "household", household.id)
    return household


@dataclass(frozen=True)
class HouseholdDetails:
    """What a page may show of a household: masked, or in full for those allowed."""

    household: Household
    name: str
    id_number: str
    phone: str
    address: str
    is_private: bool


def household_details(
    actor: Any, household: Household, *, private: bool = False, purpose: str = "view"
) -> HouseholdDetails:
    """Read a household for display; showing the private details is audited."""
    if not private:
        return HouseholdDetails(
            household=household,
            name=household.masked_name,
            id_number=household.masked_id_number,
            phone=household.masked_phone,
            address=household.masked_address,
            is_private=False,
        )
    if not can(actor, P.view_household_private, household.area):
        raise NotFound(str(_l("No such household.")))
    record(actor, "household.view_private", "household", household.id, purpose=purpose)
    db.session.flush()
    return HouseholdDetails(
        household=household,
        name=household.head_name,
        id_number=household.id_number or "",
        phone=household.phone or "",
        address=household.address,
        is_private=True,
    )


def find_households_by_number(actor: Any, number: str) -> list[Household]:
    """Look households up by ID number or phone; the lookup is audited, the number is not kept."""
    found = households_by_number(actor, number)
    record(actor, "household.lookup", "household", None, matches=len(found))
    db.session.flush()
    return found
