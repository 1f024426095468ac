"""People services: volunteers, organisations, memberships, households, pairings.

Plain functions taking the acting user; they flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.errors import DomainError, NotFound
from points_app.core.masking import mask_phone
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.people import units
from points_app.people.models import (
    Household,
    HouseholdCategory,
    Membership,
    Organisation,
    OrganisationKind,
    Pairing,
    Volunteer,
)
from points_app.people.queries import households_by_number
from points_app.people.sign_in import follow_phone_change, open_volunteer_account
from points_app.people.validation import clean_contact_phone, clean_id_number, clean_mobile

P = Permission
MAX_MEMBERS = 30


def _refuse_unless(actor: Any, permission: Permission, area: Area) -> None:
    if not can(actor, permission, area):
        raise DomainError(
            "forbidden", _l("You may not do this in %(area)s.", area=area.name), status=403
        )


def _text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise DomainError("required", _l("This field is required."), status=422, field=field)
    if len(text) > max_length:
        raise DomainError(
            "too_long",
            _l("Use at most %(n)s characters.", n=max_length),
            status=422,
            field=field,
        )
    return text


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


# Pairings ---------------------------------------------------------------------------------


def _overlapping_pairing(
    household: Household,
    volunteer: Volunteer | None,
    organisation: Organisation | None,
    start: dt.date,
    end: dt.date | None,
) -> Pairing | None:
    if volunteer is not None:
        partner_clause = Pairing.volunteer_id == volunteer.id
    else:
        assert organisation is not None
        partner_clause = Pairing.organisation_id == organisation.id
    stmt = select(Pairing).where(
        Pairing.household_id == household.id,
        partner_clause,
        or_(Pairing.end_date.is_(None), Pairing.end_date >= start),
    )
    if end is not None:
        stmt = stmt.where(Pairing.start_date <= end)
    return db.session.scalars(stmt).first()


def _partner_name_and_area(
    volunteer: Volunteer | None, organisation: Organisation | None
) -> tuple[str, Area]:
    if volunteer is not None:
        return volunteer.real_name, volunteer.area
    assert organisation is not None
    return organisation.name, organisation.area


def create_pairing(
    actor: Any,
    *,
    household: Household,
    volunteer: Volunteer | None = None,
    organisation: Organisation | None = None,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> Pairing:
    """Pair a household with exactly one volunteer or organisation from a date."""
    if (volunteer is None) == (organisation is None):
        raise DomainError(
            "one_partner",
            _l("Choose one partner: a volunteer or an organisation."),
            status=422,
            field="partner",
        )
    _refuse_unless(actor, P.manage_pairings, household.area)
    if not household.is_active:
        raise DomainError(
            "household_inactive",
            _l("Household %(no)s is no longer in the programme.", no=household.public_no),
            status=422,
            field="household_id",
        )
    if end_date is not None and end_date < start_date:
        raise DomainError(
            "end_before_start",
            _l("The end date cannot be before the start date."),
            status=422,
            field="end_date",
        )
    partner_name, partner_area = _partner_name_and_area(volunteer, organisation)
    if not household.community.is_within(partner_area):
        raise DomainError(
            "partner_out_of_area",
            _l(
                "%(partner)s belongs to %(area)s; a partner must belong to the household's "
                "community (%(community)s) or to an area above it.",
                partner=partner_name,
                area=partner_area.name,
                community=household.community.name,
            ),
            status=422,
            field="partner",
        )
    clash = _overlapping_pairing(household, volunteer, organisation, start_date, end_date)
    if clash is not None:
        raise DomainError(
            "duplicate_pairing",
            _l(
                "%(partner)s is already paired with household %(no)s from %(start)s "
                "(pairing #%(id)s).",
                partner=clash.partner_name,
                no=household.public_no,
                start=clash.start_date.isoformat(),
                id=clash.id,
            ),
            status=422,
            field="partner",
            pairing_id=clash.id,
        )
    try:
        with db.session.begin_nested():
            pairing = Pairing(
                household=household,
                volunteer=volunteer,
                organisation=organisation,
                start_date=start_date,
                end_date=end_date,
            )
            db.session.add(pairing)
            db.session.flush()
    except IntegrityError as error:
        # Another writer paired the same two at the same moment.
        raise DomainError(
            "duplicate_pairing",
            _l("This pair is already paired."),
            status=422,
            field="partner",
        ) from error
    record(actor, "pairing.create", "pairing", pairing.id, household_id=household.id)
    return pairing


def end_pairing(actor: Any, pairing: Pairing, *, end_date: dt.date) -> Pairing:
    """End a pairing on a date (not before it started); an ended pairing stays ended."""
    _refuse_unless(actor, P.manage_pairings, pairing.area)
    if pairing.end_date is not None:
        raise DomainError(
            "already_ended",
            _l("This pairing already ended on %(date)s.", date=pairing.end_date.isoformat()),
            status=409,
            field="end_date",
        )
    if end_date < pairing.start_date:
        raise DomainError(
            "end_before_start",
            _l(
                "The end date cannot be before the start date (%(date)s).",
                date=pairing.start_date.isoformat(),
            ),
            status=422,
            field="end_date",
        )
    pairing.end_date = end_date
    db.session.flush()
    record(actor, "pairing.end", "pairing", pairing.id)
    return pairing
