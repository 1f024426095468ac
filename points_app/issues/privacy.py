"""What of an issue's free text others may read: names and numbers scrubbed (core/scrub.py).

The description as typed is kept; pages show it scrubbed, and only a handler who asks to
see the resident's contact (audited, `services.reveal_resident_contact`) sees the original.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from points_app.areas.models import Area
from points_app.areas.services import community_of
from points_app.core.scrub import scrub_text
from points_app.extensions import db
from points_app.issues.models import Issue
from points_app.people.models import Household, Volunteer

MAX_KNOWN_NAMES = 5000


def known_names(area: Area) -> list[str]:
    """Names of the people registered in the area's community: household heads, volunteers.

    Cached for the request (an Open311 list scrubs many issues of the same community).
    """
    community = community_of(area) or area
    # Per request (not `g`: a test's app context outlives its requests).
    cache: dict[int, list[str]] = (
        request.environ.setdefault("points.known_names", {}) if has_request_context() else {}
    )
    if community.id not in cache:
        heads = select(Household.head_name).where(Household.community_id == community.id)
        volunteers = select(Volunteer.real_name).where(Volunteer.home_community_id == community.id)
        cache[community.id] = list(
            db.session.scalars(heads.union(volunteers).limit(MAX_KNOWN_NAMES))
        )
    return cache[community.id]


def scrub_issue_text(issue: Issue, text: str | None, *, extra_names: Any = ()) -> str:
    """The text with ID numbers, phones, the resident's name and known names masked."""
    if not text:
        return text or ""
    names = [issue.resident_name, *known_names(issue.area), *extra_names]
    return scrub_text(text, names)


def scrub_for_area(area: Area, text: str, names: Any = ()) -> str:
    """Scrub text about to become part of an issue in the area (e.g. a derived title)."""
    return scrub_text(text, [*names, *known_names(area)])
