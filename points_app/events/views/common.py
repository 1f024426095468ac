"""Helpers shared by the event pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, request
from flask_babel import gettext as _

from points_app.areas.models import AreaLevel
from points_app.areas.services import visible_areas
from points_app.core.clock import local_zone
from points_app.core.db import begin_write
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.events import services
from points_app.events.models import Event
from points_app.extensions import db


def to_utc(naive_local: dt.datetime) -> dt.datetime:
    """A datetime typed into a form (local wall time) as aware UTC."""
    return naive_local.replace(tzinfo=local_zone()).astimezone(dt.UTC)


def to_local(moment: dt.datetime) -> dt.datetime:
    """An aware datetime as naive local wall time, to fill a form."""
    return moment.astimezone(local_zone()).replace(tzinfo=None)


def area_choices(permission: Permission, *levels: AreaLevel) -> list[tuple[int, str]]:
    from flask_login import current_user

    return [
        (a.id, "\u3000" * (len(a.ancestor_ids()) - 1) + a.name)
        for a in visible_areas(current_user, permission, *levels)
    ]


def close_stale_lazily(event: Event) -> Event:
    """Close forgotten check-outs of an event when its page is viewed, in a short write."""
    if not services.has_stale(event):
        return event
    event_id = event.id
    db.session.rollback()
    begin_write()
    fresh = db.session.get(Event, event_id)
    assert fresh is not None
    closed = services.close_stale(event=fresh)
    db.session.commit()
    if closed:
        flash(
            _(
                "%(n)s people never checked out: they were checked out at the end time "
                "and flagged for review.",
                n=closed,
            ),
            "info",
        )
    return fresh


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def error_json(error: DomainError) -> tuple[dict[str, Any], int]:
    return error.to_dict(), error.status
