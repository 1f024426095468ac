"""Read-only queries for the people pages, limited to the areas the user may see."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import visible_areas
from points_app.core import scrub
from points_app.core.permissions import Permission, area_clause
from points_app.extensions import db
from points_app.people.models import Household, Membership, Organisation, Pairing, Volunteer

T = TypeVar("T")
P = Permission
MAX_QUERY = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and whether another follows."""

    items: list[T]
    page: int
    has_next: bool


def _page(stmt: Select[Any], page: int, per_page: int) -> Page[Any]:
    rows = list(db.session.scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page)))
    return Page(items=rows[:per_page], page=page, has_next=len(rows) > per_page)


def clean_query(text: str | None) -> str:
    """A search text, trimmed and capped so a pasted essay cannot slow the list down."""
    return " ".join((text or "").split())[:MAX_QUERY]


def household_place() -> Any:
    """The Area a household is checked against: its grid if set, else its community."""
    return aliased(Area, name="household_place")


def communities_visible(actor: Any, permission: Permission) -> list[Area]:
    """Communities at or below where the actor holds the permission (for filters)."""
    return visible_areas(actor, permission, AreaLevel.community)


# Volunteers -------------------------------------------------------------------------------


def volunteers_page(
    actor: Any, *, q: str = "", community_id: int | None = None, page: int = 1, per_page: int = 30
) -> Page[Volunteer]:
    """Volunteers the actor may see, by name or work unit, optionally in one community."""
    stmt = (
        select(Volunteer)
        .join(Area, Area.id == Volunteer.home_community_id)
        .where(area_clause(Area.path, actor, P.view_people))
        .order_by(Volunteer.real_name, Volunteer.id)
    )
    if community_id:
        stmt = stmt.where(Volunteer.home_community_id == community_id)
    if q:
        stmt = stmt.where(
            or_(
                Volunteer.real_name.contains(q, autoescape=True),
                Volunteer.unit.has(Organisation.name.contains(q, autoescape=True)),
            )
        )
    return _page(stmt, page, per_page)


# Organisations ----------------------------------------------------------------------------


def organisations_page(
    actor: Any, *, q: str = "", community_id: int | None = None, page: int = 1, per_page: int = 30
) -> Page[Organisation]:
    """Organisations the actor may see, by name, optionally in one area."""
    stmt = (
        select(Organisation)
        .join(Area, Area.id == Organisation.area_id)
        .where(area_clause(Area.path, actor, P.view_people))
        .order_by(Organisation.name, Organisation.id)
    )
    if community_id:
        stmt = stmt.where(Organisation.area_id == community_id)
    if q:
        stmt = stmt.where(Organisation.name.contains(q, autoescape=True))
    return _page(stmt, page, per_page)


def members_of(organisation: Organisation) -> list[Membership]:
    """An organisation's members, leaders first."""
    stmt = (
        select(Membership)
        .join(Volunteer)
        .where(Membership.organisation_id == organisation.id)
        .order_by(Membership.is_leader.desc(), Volunteer.real_name)
    )
    return list(db.session.scalars(stmt))


def memberships_of(volunteer: Volunteer) -> list[Membership]:
    """The organisations a volunteer belongs to."""
    stmt = (
        select(Membership)
        .join(Organisation)
        .where(Membership.volunteer_id == volunteer.id)
        .order_by(Organisation.name)
    )
    return list(db.session.scalars(stmt))


def member_candidates(actor: Any, organisation: Organisation) -> list[Volunteer]:
    """Volunteers the actor may see who are not yet members of the organisation."""
    members = select(Membership.volunteer_id).where(Membership.organisation_id == organisation.id)
    stmt = (
        select(Volunteer)
        .join(Area, Area.id == Volunteer.home_community_id)
        .where(
            area_clause(Area.path, actor, P.view_people),
            Area.path.startswith(organisation.area.path, autoescape=True),
            Volunteer.id.not_in(members),
        )
        .order_by(Volunteer.real_name)
        .limit(500)
    )
    return list(db.session.scalars(stmt))


# Households -------------------------------------------------------------------------------


def _household_search(stmt: Select[Any], q: str) -> Select[Any]:
    """Match the public number, the address, or a masked name such as 张 or 张**."""
    conditions = [
        Household.public_no.icontains(q, autoescape=True),
        Household.address.contains(q, autoescape=True),
    ]
    surname = q.rstrip("*＊")
    if len(surname) == 1:
        conditions.append(Household.head_name.startswith(surname, autoescape=True))
    return stmt.where(or_(*conditions))


def households_page(
    actor: Any,
    *,
    q: str = "",
    community_id: int | None = None,
    active_only: bool = False,
    page: int = 1,
    per_page: int = 30,
) -> Page[Household]:
    """Households the actor may see, optionally filtered and searched."""
    place = household_place()
    stmt = (
        select(Household)
        .join(place, place.id == func.coalesce(Household.grid_id, Household.community_id))
        .where(area_clause(place.path, actor, P.view_households))
        .options(selectinload(Household.pairings))
        .order_by(Household.public_no)
    )
    if community_id:
        stmt = stmt.where(Household.community_id == community_id)
    if active_only:
        stmt = stmt.where(Household.is_active.is_(True))
    if q:
        stmt = _household_search(stmt, q)
    return _page(stmt, page, per_page)


def looks_like_personal_number(text: str) -> bool:
    """True for text holding 7+ digits (separators aside): a phone or ID number, never a key."""
    return scrub.looks_like_personal_number(text)


def households_by_number(actor: Any, number: str) -> list[Household]:
    """Households, among those whose private details the actor may see, with this ID number
    or phone (exact match, after the same clean-up the forms apply)."""
    text = re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", number)).upper()
    if not text:
        return []
    place = household_place()
    stmt = (
        select(Household)
        .join(place, place.id == func.coalesce(Household.grid_id, Household.community_id))
        .where(
            area_clause(place.path, actor, P.view_household_private),
            or_(Household.id_number == text, Household.phone == text),
        )
        .order_by(Household.public_no)
        .limit(20)
    )
    return list(db.session.scalars(stmt))


def households_by_phone_ending(
    actor: Any, community_id: int, digits: str, *, surname: str = "", limit: int = 2000
) -> list[Household]:
    """Active households of a community the actor may see whose phone ends with `digits`
    (e.g. the last four), optionally only those whose head's name starts with `surname`.

    Phones are encrypted at rest and only whole numbers have a lookup hash, so the ending
    is compared in Python among the community's households (a few hundred: microseconds
    each). A keyed hash of the last four digits would have only 10,000 values and would
    show anyone reading the database which households share an ending.
    """
    place = household_place()
    stmt = (
        select(Household)
        .join(place, place.id == func.coalesce(Household.grid_id, Household.community_id))
        .where(
            area_clause(place.path, actor, P.view_households),
            Household.community_id == community_id,
            Household.is_active.is_(True),
            Household.phone_hash.is_not(None),
        )
        .order_by(Household.public_no)
        .limit(limit)
    )
    if surname:
        stmt = stmt.where(Household.head_name.startswith(surname, autoescape=True))
    return [h for h in db.session.scalars(stmt) if h.phone_ends_with(digits)]


def household_area_choices(actor: Any, permission: Permission) -> list[Area]:
    """Communities, grids and microgrids where the actor may place a household."""
    return visible_areas(
        actor, permission, AreaLevel.community, AreaLevel.grid, AreaLevel.microgrid
    )


def households_for_pairing(actor: Any, partner_area: Area | None = None) -> list[Household]:
    """Active households the actor may pair, inside the partner's area when one is given."""
    place = household_place()
    community = aliased(Area, name="household_community")
    stmt = (
        select(Household)
        .join(place, place.id == func.coalesce(Household.grid_id, Household.community_id))
        .join(community, community.id == Household.community_id)
        .where(area_clause(place.path, actor, P.manage_pairings), Household.is_active.is_(True))
        .order_by(Household.public_no)
        .limit(1000)
    )
    if partner_area is not None:
        stmt = stmt.where(community.path.startswith(partner_area.path, autoescape=True))
    return list(db.session.scalars(stmt))


def partners_for(household: Household) -> tuple[list[Volunteer], list[Organisation]]:
    """Volunteers and organisations that may pair with the household (its community or above)."""
    ancestor_ids = household.community.ancestor_ids()
    volunteers = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.home_community_id.in_(ancestor_ids))
        .order_by(Volunteer.real_name)
    )
    organisations = db.session.scalars(
        select(Organisation)
        .where(Organisation.area_id.in_(ancestor_ids))
        .order_by(Organisation.name)
    )
    return list(volunteers), list(organisations)


# Pairings ---------------------------------------------------------------------------------


def _pairings_visible(actor: Any) -> Select[Any]:
    place = household_place()
    return (
        select(Pairing)
        .join(Household, Household.id == Pairing.household_id)
        .join(place, place.id == func.coalesce(Household.grid_id, Household.community_id))
        .where(area_clause(place.path, actor, P.view_households))
    )


def pairings_page(
    actor: Any,
    *,
    status: str = "current",
    q: str = "",
    community_id: int | None = None,
    today: dt.date,
    page: int = 1,
    per_page: int = 30,
) -> Page[Pairing]:
    """Pairings of households the actor may see: current, ended or all."""
    stmt = _pairings_visible(actor)
    if status == "current":
        stmt = stmt.where(
            Pairing.start_date <= today, or_(Pairing.end_date.is_(None), Pairing.end_date >= today)
        )
    elif status == "ended":
        stmt = stmt.where(Pairing.end_date < today)
    elif status == "future":
        stmt = stmt.where(Pairing.start_date > today)
    if community_id:
        stmt = stmt.where(Household.community_id == community_id)
    if q:
        vol = aliased(Volunteer)
        org = aliased(Organisation)
        stmt = (
            stmt.outerjoin(vol, vol.id == Pairing.volunteer_id)
            .outerjoin(org, org.id == Pairing.organisation_id)
            .where(
                or_(
                    Household.public_no.icontains(q, autoescape=True),
                    vol.real_name.contains(q, autoescape=True),
                    org.name.contains(q, autoescape=True),
                )
            )
        )
    stmt = stmt.order_by(Household.public_no, Pairing.start_date.desc(), Pairing.id)
    return _page(stmt, page, per_page)


def pairings_of(
    actor: Any,
    *,
    volunteer: Volunteer | None = None,
    organisation: Organisation | None = None,
    household: Household | None = None,
) -> Sequence[Pairing]:
    """The pairings of one volunteer, organisation or household that the actor may see."""
    stmt = _pairings_visible(actor)
    if volunteer is not None:
        stmt = stmt.where(Pairing.volunteer_id == volunteer.id)
    if organisation is not None:
        stmt = stmt.where(Pairing.organisation_id == organisation.id)
    if household is not None:
        stmt = stmt.where(Pairing.household_id == household.id)
    stmt = stmt.order_by(Pairing.end_date.is_not(None), Pairing.start_date.desc(), Pairing.id)
    return list(db.session.scalars(stmt))
