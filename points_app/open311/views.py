"""Open311 GeoReport v2 at /open311/v2: the residents' issues for outside systems.

Every path ends in `.json` or `.xml`. Reading is public: discovery, services (the issue
categories), service requests (the issues, without anything about the resident) and
tokens. Posting a request needs an API token of a user who may record issues in the
area named by `jurisdiction_id` (a community's, grid's or microgrid's code), sent as
`Authorization: Bearer <token>` or as the `api_key` field of the form (never in the
URL); a browser's session cookie is not accepted, so no CSRF token is needed. Errors
are GeoReport's `[{"code": 400, "description": "..."}]` with that HTTP status.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from points_app.accounts.models import User
from points_app.api.models import ApiToken
from points_app.api.services import hash_token
from points_app.core.dates import parse_moment
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import csrf, db
from points_app.open311 import services
from points_app.open311.formats import error_response, render

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
# Posting takes an API token, never the session cookie: there is nothing to forge.
csrf.exempt(bp)

FMT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-03-01T00:00:00+08:00"  # when the list of services last changed
MAX_IDS = 100
MAX_TOKEN_LENGTH = 200
FIELD_LIMITS = {
    "service_code": 40,
    "jurisdiction_id": 40,
    "description": 4000,
    "address_string": 200,
    "first_name": 50,
    "last_name": 50,
    "phone": 20,
    "lat": 30,
    "long": 30,
}


def _bad(message: str) -> DomainError:
    return DomainError("validation_error", message, 400)


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in ("json", "xml"):
        return str(fmt)
    return "xml" if request.path.endswith(".xml") else "json"


@bp.before_app_request
def _unknown_path() -> Any:
    """A path under /open311/v2 that is not ours (or the wrong method): a GeoReport error."""
    prefix = bp.url_prefix or ""
    ours = request.path == prefix or request.path.startswith(prefix + "/")
    error = request.routing_exception
    if ours and error is not None and not isinstance(error, RequestRedirect):
        status = error.code if isinstance(error, HTTPException) and error.code else 404
        text = (
            _("This page does not exist, or you may not see it.")
            if status == 404
            else _("This action is not allowed here.")
        )
        return error_response(status, text, _format())
    return None


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Any:
    db.session.rollback()
    status = 400 if error.status == 422 else error.status
    return error_response(status, str(error.message), _format())


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    db.session.rollback()
    return error_response(error.code or 500, error.description or error.name, _format())


# --- reading ------------------------------------------------------------------------------


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str) -> Any:
    base = url_for("open311.services_list", fmt="json", _external=True).rsplit("/", 1)[0]
    return render(
        {
            "changeset": CHANGESET,
            "contact": _("Your community's residents' committee."),
            "key_service": _(
                "Posting a request needs an API token from POST /api/v1/auth/token, sent "
                "as api_key or as Authorization: Bearer."
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        fmt,
        "discovery",
    )


@bp.get(f"/services.{FMT}")
def services_list(fmt: str) -> Any:
    return render(services.service_list(), fmt, "services")


@bp.get(f"/services/<code>.{FMT}")
def service_definition(code: str, fmt: str) -> Any:
    return render(services.service_definition(code), fmt, "service_definition")


def _split(name: str) -> list[str]:
    raw = request.args.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def _ids() -> tuple[int, ...]:
    parts = _split("service_request_id")
    if len(parts) > MAX_IDS or not all(p.isdigit() and len(p) <= 10 for p in parts):
        raise _bad(_("service_request_id takes up to 100 numbers, separated by commas."))
    return tuple(int(p) for p in parts)


def _request_filter() -> services.RequestFilter:
    statuses = _split("status")
    if any(s not in services.STATUSES for s in statuses):
        raise _bad(_("status is open or closed."))
    codes = _split("service_code")
    jurisdiction = request.args.get("jurisdiction_id", "").strip()
    return services.RequestFilter(
        ids=_ids(),
        categories=tuple(services.service_category(c[:40]) for c in codes),
        statuses=tuple(statuses),
        start=parse_moment(request.args.get("start_date"), "start_date"),
        end=parse_moment(request.args.get("end_date"), "end_date", end_of_day=True),
        jurisdiction=services.area_by_code(jurisdiction[:40]) if jurisdiction else None,
    )


@bp.get(f"/requests.{FMT}")
def requests_list(fmt: str) -> Any:
    found = services.find_requests(_request_filter(), now=utcnow())
    return render(found, fmt, "service_requests")


@bp.get(f"/requests/<int:request_id>.{FMT}")
def request_detail(request_id: int, fmt: str) -> Any:
    return render([services.one_request(request_id)], fmt, "service_requests")


@bp.get(f"/tokens/<token>.{FMT}")
def token_detail(token: str, fmt: str) -> Any:
    issue_id = services.issue_id_for_token(token[:64])
    return render([{"service_request_id": str(issue_id), "token": token}], fmt, "service_requests")


# --- posting ------------------------------------------------------------------------------


def _posted() -> Any:
    """The posted fields: a form (as GeoReport has it) or a JSON object."""
    if request.form:
        return request.form
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _fields(source: Any) -> dict[str, str]:
    """The fields this endpoint reads, as trimmed strings within their limits."""
    fields: dict[str, str] = {}
    for name, limit in FIELD_LIMITS.items():
        value = source.get(name)
        if value is None:
            continue
        text = str(value).strip()
        if len(text) > limit:
            raise _bad(_("%(field)s must be at most %(n)d characters.", field=name, n=limit))
        fields[name] = text
    return fields


def _coordinate(fields: dict[str, str], name: str, bound: float) -> float | None:
    raw = fields.get(name, "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise _bad(_("%(field)s must be a number from -%(n)s to %(n)s.", field=name, n=bound))
    return value


def _poster(source: Any) -> User:
    """The user whose API token came with the post (header or api_key field)."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raw = source.get("api_key")
    raw = raw.strip() if isinstance(raw, str) else ""
    token = None
    if 0 < len(raw) <= MAX_TOKEN_LENGTH:
        token = db.session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(raw))
        ).first()
    if token is None or not token.is_usable(utcnow()) or not token.user.is_active:
        raise DomainError(
            "invalid_api_key",
            _("Send a valid API token as api_key or as Authorization: Bearer <token>."),
            403,
        )
    return token.user


@bp.post(f"/requests.{FMT}")
def create_request(fmt: str) -> Any:
    source = _posted()
    actor = _poster(source)
    fields = _fields(source)
    for name in ("service_code", "jurisdiction_id"):
        if not fields.get(name):
            raise _bad(_("%(field)s is required.", field=name))
    lat = _coordinate(fields, "lat", 90)
    long = _coordinate(fields, "long", 180)
    if (lat is None) != (long is None):
        raise _bad(_("Give both lat and long, or neither."))
    issue = services.submit_request(
        actor,
        services.Submission(
            service_code=fields["service_code"],
            jurisdiction=fields["jurisdiction_id"],
            description=fields.get("description", ""),
            lat=lat,
            long=long,
            address=fields.get("address_string", ""),
            first_name=fields.get("first_name", ""),
            last_name=fields.get("last_name", ""),
            phone=fields.get("phone", ""),
        ),
    )
    db.session.commit()
    answer = {
        "service_request_id": str(issue.id),
        "token": services.request_token(issue.id),
        "service_notice": None,
        "account_id": None,
    }
    return render([answer], fmt, "service_requests", status=201)
