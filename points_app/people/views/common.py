"""Helpers shared by the people pages."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import visible_areas
from points_app.core.db import begin_write
from points_app.core.permissions import Permission, area_clause
from points_app.core.search import search_text, settle_search
from points_app.core.web import MAX_DB_ID, page_number
from points_app.extensions import db
from points_app.people.models import HouseholdCategory, OrganisationKind
from points_app.people.queries import clean_query
from points_app.people.units import unit_names
from points_app.people.views import bp


def organisation_kind_label(kind: OrganisationKind | str) -> str:
    """An organisation kind's name in the current language."""
    labels = {
        "party_branch": _("Party branch"),
        "residents_committee": _("Residents' committee"),
        "property_company": _("Property management company"),
        "owners_committee": _("Owners' committee"),
        "resident_unit": _("Unit based in the community"),
        "unit": _("Work unit of Party members"),
        "social_organisation": _("Social organisation"),
        "volunteer_team": _("Volunteer team"),
    }
    return labels[OrganisationKind(kind).value]


def household_category_label(category: HouseholdCategory | str) -> str:
    """A household category's name in the current language."""
    labels = {
        "dibao": _("Minimum living allowance (低保)"),
        "tekun": _("Extreme hardship support (特困)"),
        "disability": _("Disability"),
        "elderly_alone": _("Elderly living alone"),
        "other": _("Other hardship"),
    }
    return labels[HouseholdCategory(category).value]


@bp.app_context_processor
def _people_helpers() -> dict[str, Any]:
    return {
        "organisation_kind_label": organisation_kind_label,
        "household_category_label": household_category_label,
        "work_unit_names": lambda: unit_names_for(current_user),
    }


def unit_names_for(user: Any) -> list[str]:
    """The work units the user may pick from: those of the communities they manage."""
    ids = list(
        db.session.scalars(
            select(Area.id).where(
                Area.level == AreaLevel.community,
                area_clause(Area.path, user, Permission.manage_people),
            )
        )
    )
    return unit_names(ids)


def int_arg(name: str) -> int | None:
    """A positive integer query argument, or None when missing or garbage."""
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value <= MAX_DB_ID else None


def list_args() -> dict[str, Any]:
    """The search text, community filter and page of a list page.

    The text comes from the search form's POST, held in the session (core/search.py); a
    phone or ID number is never searched here: looking one up is a POST of its own page.
    """
    return {
        "q": clean_query(search_text()),
        "community_id": int_arg("community"),
        "page": page_number(),
        "per_page": int(current_app.config.get("PAGE_SIZE", 30)),
    }


def drop_personal_number(endpoint: str) -> Any | None:
    """Answer the list's POSTed search form, or a ``?q=`` holding a phone or ID number, with a
    redirect to the list (the text held in the session, a number dropped); else None."""
    return settle_search(endpoint, keep=("community", "status"))


def indent(area: Area) -> str:
    """An area's name indented by its depth, for select boxes."""
    return "\u3000" * area.level.depth + area.name


def area_choices(permission: Permission, *levels: Any) -> list[tuple[int, str]]:
    """(id, indented name) of the areas where the user holds the permission."""
    return [(a.id, indent(a)) for a in visible_areas(current_user, permission, *levels)]


def start_writing() -> None:
    """Make a GET that writes (an audit entry) take the write lock from its first statement.

    Signing in has already read the user, so end that read transaction first.
    """
    if request.method == "GET":
        db.session.rollback()
        begin_write()
