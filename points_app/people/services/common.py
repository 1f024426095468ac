"""What the people services share: the permission check and text fields."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can

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
