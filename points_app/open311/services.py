"""Residents' issues as Open311 GeoReport v2 services and service requests.

Issue categories are the services; an issue is a service request, `open` while it is
raised, deliberated, handled or evaluated and `closed` once closed, rejected or merged.
What the public sees of an issue is chosen here: never the resident's name, phone or
the person who recorded it; of an anonymous issue only its title, category, area and
progress; the description and free-text notes (resolution, reason for rejection) only
of the others, with the resident's name and any mobile or ID number in them masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from points_app.areas.models import Area, AreaLevel
from points_app.core.clock import local_zone
from points_app.core.errors import DomainError, NotFound
from points_app.extensions import db
from points_app.issues import services as issues
from points_app.issues.labels import category_label, level_label, state_label
from points_app.issues.models import HandlingLevel, Issue, IssueCategory, IssueChannel, IssueEvent
from points_app.issues.models import IssueState as S
from points_app.issues.privacy import scrub_for_area, scrub_issue_text

OPEN_STATES = (S.raised, S.deliberating, S.handling, S.evaluating)
CLOSED_STATES = (S.closed, S.rejected, S.merged)
STATUSES = {"open": OPEN_STATES, "closed": CLOSED_STATES}
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_RESULTS = 1000
TITLE_LENGTH = 60
LEVEL_AREAS = {
    HandlingLevel.grid: AreaLevel.grid,
    HandlingLevel.community: AreaLevel.community,
    HandlingLevel.street: AreaLevel.street,
}


# --- services (the issue categories) ------------------------------------------------------


def service_json(category: IssueCategory) -> dict[str, Any]:
    """One issue category as a GeoReport service."""
    name = str(category_label(category))
    return {
        "service_code": category.value,
        "service_name": name,
        "description": name,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


def service_list() -> list[dict[str, Any]]:
    """Every issue category as a GeoReport service."""
    return [service_json(c) for c in IssueCategory]


def service_category(code: str) -> IssueCategory:
    """The category a service code names; `not_found` for an unknown one."""
    try:
        return IssueCategory(code)
    except ValueError:
        raise NotFound(_("There is no service %(code)s.", code=code[:40])) from None


def service_definition(code: str) -> dict[str, Any]:
    """A service's definition: no extra attributes are asked for."""
    return {"service_code": service_category(code).value, "attributes": []}


# --- service requests (the issues) --------------------------------------------------------


def _local(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(local_zone()).isoformat() if moment else None


def _end_of_day(day: dt.date | None) -> str | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_zone()).isoformat()


def _ancestors(area: Area) -> list[Area]:
    found = [db.session.get(Area, area_id) for area_id in area.ancestor_ids()]
    return [a for a in found if a is not None]


def _at_level(area: Area, level: AreaLevel) -> Area | None:
    return next((a for a in _ancestors(area) if a.level is level), None)


def _agency(issue: Issue) -> str:
    """Who has the issue in hand: the grid, community or street at its handling level."""
    community = _at_level(issue.area, AreaLevel.community) or issue.area
    if issue.level is None:
        return community.name
    unit = _at_level(issue.area, LEVEL_AREAS[issue.level]) or community
    return f"{unit.name} · {level_label(issue.level)}"


def _address(issue: Issue) -> str:
    community = _at_level(issue.area, AreaLevel.community)
    if community is None or community.id == issue.area.id:
        return issue.area.name
    return f"{community.name} {issue.area.name}"


def _scrub(issue: Issue, text: str) -> str:
    """Free text fit for the public: numbers, the resident's and known names masked."""
    return scrub_issue_text(issue, text)


def _status_notes(issue: Issue) -> str:
    label = str(state_label(issue.state))
    if issue.state is S.handling and issue.level is not None:
        return f"{label} · {level_label(issue.level)}"
    if issue.state is S.merged and issue.merged_into_id is not None:
        return f"{label} #{issue.merged_into_id}"
    said = {S.closed: issue.resolution, S.rejected: issue.rejection_reason}.get(issue.state)
    if said and not issue.is_anonymous:
        return f"{label}: {_scrub(issue, said)}"
    return label


def _public_description(issue: Issue) -> str:
    if issue.is_anonymous or not issue.description:
        return _scrub(issue, issue.title)
    return _scrub(issue, issue.description)


def request_json(issue: Issue, updated_at: dt.datetime | None = None) -> dict[str, Any]:
    """An issue as a GeoReport service request, with nothing about the resident."""
    return {
        "service_request_id": str(issue.id),
        "status": "closed" if issue.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(issue),
        "service_name": str(category_label(issue.category)),
        "service_code": issue.category.value,
        "description": _public_description(issue),
        "agency_responsible": _agency(issue),
        "service_notice": None,
        "requested_datetime": _local(issue.created_at),
        "updated_datetime": _local(updated_at or issue.created_at),
        "expected_datetime": _end_of_day(issue.due_on),
        "address": _address(issue),
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _last_moves(issue_ids: Sequence[int]) -> dict[int, dt.datetime]:
    if not issue_ids:
        return {}
    rows = db.session.execute(
        select(IssueEvent.issue_id, func.max(IssueEvent.at))
        .where(IssueEvent.issue_id.in_(issue_ids))
        .group_by(IssueEvent.issue_id)
    )
    return {issue_id: at for issue_id, at in rows}


def area_by_code(code: str) -> Area:
    """The area a jurisdiction_id names; `not_found` for an unknown code."""
    area = db.session.scalars(select(Area).where(Area.code == code)).first()
    if area is None:
        raise NotFound(_("There is no jurisdiction %(code)s.", code=code[:40]))
    return area


@dataclass(frozen=True)
class RequestFilter:
    """What GET requests.json asks for; dates are aware datetimes."""

    ids: tuple[int, ...] = ()
    categories: tuple[IssueCategory, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    jurisdiction: Area | None = None


def find_requests(wanted: RequestFilter, *, now: dt.datetime) -> list[dict[str, Any]]:
    """Service requests, newest first, at most 1000; without ids or dates, the last 90 days."""
    stmt = select(Issue).join(Area, Area.id == Issue.area_id)
    if wanted.ids:
        stmt = stmt.where(Issue.id.in_(wanted.ids))
    else:
        start, end = wanted.start, wanted.end
        if start is None:
            start = (end or now) - DEFAULT_WINDOW
        stmt = stmt.where(Issue.created_at >= start)
        if end is not None:
            stmt = stmt.where(Issue.created_at <= end)
    if wanted.categories:
        stmt = stmt.where(Issue.category.in_(wanted.categories))
    if wanted.statuses:
        states = [s for status in wanted.statuses for s in STATUSES[status]]
        stmt = stmt.where(Issue.state.in_(states))
    if wanted.jurisdiction is not None:
        stmt = stmt.where(Area.path.startswith(wanted.jurisdiction.path, autoescape=True))
    stmt = stmt.order_by(Issue.created_at.desc(), Issue.id.desc()).limit(MAX_RESULTS)
    found = list(db.session.scalars(stmt))
    moved = _last_moves([i.id for i in found])
    return [request_json(i, moved.get(i.id)) for i in found]


def one_request(issue_id: int) -> dict[str, Any]:
    """One service request by id; `not_found` if there is none."""
    issue = db.session.get(Issue, issue_id) if 0 < issue_id <= 2**31 - 1 else None
    if issue is None:
        raise NotFound(_("There is no service request %(id)s.", id=issue_id))
    return request_json(issue, _last_moves([issue.id]).get(issue.id))


# --- tokens -------------------------------------------------------------------------------


def _signature(issue_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"open311-token:{issue_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


def request_token(issue_id: int) -> str:
    """The token of a request posted here, to look its id up by (tokens/{token})."""
    return f"{issue_id}-{_signature(issue_id)}"


def issue_id_for_token(token: str) -> int:
    """The issue id a token stands for; `not_found` for a token not made here."""
    raw_id, _sep, signature = token.partition("-")
    if raw_id.isdigit() and len(raw_id) <= 10:
        issue_id = int(raw_id)
        if hmac.compare_digest(signature, _signature(issue_id)):
            return issue_id
    raise NotFound(_("There is no such token."))


# --- posting a request --------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What POST requests.json carries, parsed."""

    service_code: str
    jurisdiction: str
    description: str = ""
    lat: float | None = None
    long: float | None = None
    address: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""


def _title(text: str, fallback: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first_line:
        return fallback
    if len(first_line) > TITLE_LENGTH:
        return first_line[: TITLE_LENGTH - 1] + "…"
    return first_line


def _resident_name(first: str, last: str) -> str | None:
    first, last = first.strip(), last.strip()
    if first.isascii() and last.isascii():
        return " ".join(p for p in (first, last) if p) or None
    return (last + first) or None  # Chinese order: family name first


def _place(submission: Submission) -> str:
    parts = []
    if submission.address.strip():
        parts.append(submission.address.strip())
    if submission.lat is not None and submission.long is not None:
        parts.append(f"({submission.lat:.6f}, {submission.long:.6f})")
    return " ".join(parts)


def submit_request(actor: Any, submission: Submission) -> Issue:
    """Record an issue posted through Open311 by a signed-in client, online and anonymous.

    The place goes into the description; an email address is not kept.
    """
    category = service_category(submission.service_code)
    area = area_by_code(submission.jurisdiction)
    place = _place(submission)
    if not place:
        raise DomainError(
            "location_required", _l("Give the place: lat and long, or address_string."), 400
        )
    text = submission.description.strip()
    description = f"{text}\n\n{_('Place: %(place)s', place=place)}".strip()
    resident = _resident_name(submission.first_name, submission.last_name)
    # The title is shown to everyone who sees the issue: never a number or a name in it.
    title = _title(scrub_for_area(area, text, [resident]), str(category_label(category)))
    return issues.raise_issue(
        actor=actor,
        area=area,
        title=title,
        category=category,
        channel=IssueChannel.online,
        description=description,
        resident_name=resident,
        resident_phone=submission.phone.strip() or None,
        is_anonymous=True,
    )
