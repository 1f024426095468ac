"""Helpers shared by the views of every feature."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, flash, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map

from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.extensions import db

M = TypeVar("M")

MAX_DB_ID = 2**31 - 1


class DbIdConverter(IntegerConverter):
    """`<int:...>` limited to what an integer primary key can hold, so a huge id is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(map, *args, **kwargs)


def install_id_converter(app: Flask) -> None:
    """Make `<int:...>` in every route refuse ids beyond the database's integer range."""
    app.url_map.converters["int"] = DbIdConverter


def load_or_404(model: type[M], object_id: int, permission: Permission) -> M:
    """Load an object by id; 404 when it is missing or outside the user's areas."""
    if not 0 < object_id <= MAX_DB_ID:
        abort(404)
    obj = db.session.get(model, object_id)
    if obj is None or not can(current_user, permission, obj.area):  # type: ignore[attr-defined]
        abort(404)
    return obj


def require(permission: Permission, area: Any = None) -> None:
    """Abort with 403 unless the current user holds the permission (at the area)."""
    if not can(current_user, permission, area):
        abort(403)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit once if the block succeeds; roll back and re-raise otherwise."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def flash_domain_error(error: DomainError) -> None:
    """Show a refused operation's message on the next page."""
    flash(str(error.message), "error")


def safe_next(default: str) -> str:
    """Return the `next` parameter if it is a local path, else the default."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def page_number() -> int:
    """The ?page= argument, clamped to a sane positive integer."""
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1
