"""Work units (工作单位) of in-service Party members: organisations of kind `unit`, one
per name in a community, picked or created from the volunteer form."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from points_app.areas.models import Area
from points_app.extensions import db
from points_app.people.models import Organisation, OrganisationKind

MAX_NAME = 100


def clean_unit_name(name: str | None) -> str:
    """A unit's name as stored: trimmed, inner runs of spaces made one."""
    return " ".join((name or "").split())


def unit_for(community: Area, name: str | None) -> Organisation | None:
    """The community's work unit of that name, created if new; None for no name."""
    clean = clean_unit_name(name)
    if not clean:
        return None
    query = select(Organisation).where(
        Organisation.area_id == community.id, Organisation.name == clean
    )
    found = db.session.scalars(query).first()
    if found is not None:
        return found  # the unit, or another organisation of the community by that name
    try:
        with db.session.begin_nested():
            unit = Organisation(name=clean, kind=OrganisationKind.unit, area_id=community.id)
            db.session.add(unit)
    except IntegrityError:
        return db.session.scalars(query).one()  # created at the same moment by another
    return unit


def unit_names(community_ids: list[int]) -> list[str]:
    """Names of the work units in the communities, for the form's suggestions."""
    if not community_ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation.name)
            .where(
                Organisation.kind == OrganisationKind.unit,
                Organisation.area_id.in_(community_ids),
            )
            .distinct()
            .order_by(Organisation.name)
        )
    )
