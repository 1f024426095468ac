"""The JSON API under /api/v1: tokens, the signed-in user, the OpenAPI document.

To add routes, write a module `points_app/api/<feature>.py` that imports `bp` from
here and declares its handlers on it; every module of this package is imported
when the blueprint is, so nothing else needs editing. In a handler: read input with
`read_json(SCHEMA)` / `read_query(SCHEMA)` (points_app.api.validation), raise
`DomainError` for refusals, describe the route with `@api_doc` (points_app.api.openapi),
and add `@idempotent` (points_app.api.idempotency) to POSTs that change points, stock
or attendance. `current_user` is the caller; routes need one unless marked `@public`
(points_app.api.auth).
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from typing import Any

import click
from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from points_app.accounts.login_throttle import check_sign_in, claim_sign_in, purge_login_attempts
from points_app.accounts.models import User
from points_app.api.auth import Unauthorized, authenticate_api_request, public
from points_app.api.models import ApiToken
from points_app.api.openapi import API_PREFIX, api_doc, build_openapi, component
from points_app.api.services import (
    IDEMPOTENCY_KEEP,
    issue_token,
    purge_idempotency_records,
    revoke_token,
)
from points_app.api.validation import read_json
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import ROLE_PERMISSIONS
from points_app.core.web import unit_of_work
from points_app.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
# Bearer tokens are not sent by browsers on their own; cookie writes are checked in auth.
csrf.exempt(bp)
bp.before_app_request(authenticate_api_request)


TOKEN_REQUEST = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "description": "Username or mobile number.",
        },
        "password": {"type": "string", "minLength": 1, "maxLength": 200},
    },
}
TOKEN = component(
    "Token",
    {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "properties": {
            "token": {"type": "string", "description": "Send as `Authorization: Bearer <token>`."},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
)
AREA = component(
    "AreaRef",
    {
        "type": "object",
        "required": ["id", "name", "code", "level"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "code": {"type": "string"},
            "level": {
                "type": "string",
                "enum": ["county", "street", "community", "grid", "microgrid"],
            },
        },
    },
)
ME = component(
    "Me",
    {
        "type": "object",
        "required": ["id", "username", "display_name", "roles", "areas", "permissions"],
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "phone": {"type": ["string", "null"]},
            "locale": {"type": ["string", "null"]},
            "roles": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role", "area", "permissions"],
                    "properties": {
                        "role": {
                            "type": "string",
                            "enum": sorted(ROLE_PERMISSIONS),
                        },
                        "area": AREA,
                        "permissions": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "areas": {
                "type": "array",
                "items": AREA,
                "description": "The areas where the user holds a role (each covers its subtree).",
            },
            "permissions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Everything the user may do somewhere.",
            },
        },
    },
)


def _area_json(area: Any) -> dict[str, Any]:
    return {"id": area.id, "name": area.name, "code": area.code, "level": area.level.value}


def _me_json(user: User) -> dict[str, Any]:
    assignments = sorted(user.roles, key=lambda ra: (ra.area.path, ra.role.value))
    areas = {ra.area.id: ra.area for ra in assignments}
    permissions: set[str] = set()
    roles = []
    for ra in assignments:
        granted = sorted(p.value for p in ROLE_PERMISSIONS[ra.role.value])
        permissions.update(granted)
        roles.append({"role": ra.role.value, "area": _area_json(ra.area), "permissions": granted})
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "locale": user.locale,
        "roles": roles,
        "areas": [_area_json(area) for area in areas.values()],
        "permissions": sorted(permissions),
    }


@bp.post("/auth/token")
@public
@api_doc(
    "Get a bearer token",
    description="Sign in with username (or mobile number) and password. The token "
    "lasts 30 days. After a few wrong passwords the username and the client IP must "
    "wait before the next try, twice as long each time (429, with Retry-After).",
    tags=["auth"],
    body=TOKEN_REQUEST,
    responses={
        200: ("The token", TOKEN),
        401: "`invalid_credentials`: wrong username or password.",
        429: "`rate_limited`: wait first; `details.retry_after` (and Retry-After) in seconds.",
    },
)
def create_token() -> Any:
    data = read_json(TOKEN_REQUEST)
    # The try is counted (and committed) before its password is checked: 429 when waiting.
    with unit_of_work():
        attempt = claim_sign_in(data["username"], request.remote_addr or "")
    user = check_sign_in(attempt, data["password"])
    if user is None:
        db.session.commit()  # the failure stays counted
        raise DomainError(
            "invalid_credentials", _("The username/phone or password is wrong."), status=401
        )
    token, raw = issue_token(user)
    db.session.commit()
    return {"token": raw, "token_type": "Bearer", "expires_at": token.expires_at.isoformat()}


@bp.delete("/auth/token")
@api_doc(
    "Revoke the token of this request",
    tags=["auth"],
    responses={204: "The token no longer works."},
)
def delete_token() -> Any:
    token_id = g.get("api_token_id")
    token = db.session.get(ApiToken, token_id) if token_id else None
    if token is None:
        raise Unauthorized(_("Send the token to revoke as: Authorization: Bearer <token>."))
    revoke_token(token)
    db.session.commit()
    return "", 204


@bp.get("/me")
@api_doc(
    "The signed-in user, with roles and areas",
    tags=["auth"],
    responses={200: ("The user", ME)},
)
def me() -> Any:
    return _me_json(current_user)


@bp.get("/openapi.json")
@public
@api_doc(
    "This OpenAPI document",
    tags=["meta"],
    responses={200: ("An OpenAPI 3.1 document", {"type": "object"})},
)
def openapi_document() -> Any:
    return build_openapi(current_app._get_current_object())  # type: ignore[attr-defined]


@bp.cli.command("purge-idempotency")
@click.option(
    "--days",
    type=click.IntRange(min=IDEMPOTENCY_KEEP.days),
    default=IDEMPOTENCY_KEEP.days,
    show_default=True,
    help="Delete idempotency records older than this many days.",
)
def purge_idempotency_command(days: int) -> None:
    """Delete old idempotency records (and login failures older than a day)."""
    now = utcnow()
    records = purge_idempotency_records(now - dt.timedelta(days=days))
    attempts = purge_login_attempts(now - dt.timedelta(days=1))
    db.session.commit()
    click.echo(f"Deleted {records} idempotency records and {attempts} old login failures.")


def _import_route_modules() -> None:
    """Import every module of this package, so their handlers are on `bp` before it is used."""
    package = importlib.import_module("points_app.api")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"points_app.api.{module.name}")


_import_route_modules()
