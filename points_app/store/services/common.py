"""Shared limits and small helpers of the love supermarket services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from points_app.core.clock import local_zone
from points_app.extensions import db

MAX_LINE_QUANTITY = 999


MAX_LINES = 100


MAX_STOCK_QUANTITY = 100_000


MAX_KEY_LENGTH = 255


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start (inclusive) and end (exclusive) of a local day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=local_zone())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=local_zone())
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_bounds(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start (inclusive) and end (exclusive) of the local month holding `moment`."""
    local = moment.astimezone(local_zone())
    start = dt.datetime(local.year, local.month, 1, tzinfo=local_zone())
    nxt = dt.datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=local_zone())
    return start.astimezone(dt.UTC), nxt.astimezone(dt.UTC)


def _clean(text: str | None, limit: int) -> str:
    return (text or "").strip()[:limit]


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None) if actor is not None else None


def _is_postgres() -> bool:
    return db.session.connection().dialect.name == "postgresql"
