"""Pairings of a volunteer or organisation with a household, and their end.

Plain functions taking the acting user; they flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from points_app.areas.models import Area
from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.people.models import (
    Household,
    Organisation,
    Pairing,
    Volunteer,
)
from points_app.people.services.common import P, _refuse_unless

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
