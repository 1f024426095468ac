"""A source of rows for a list page and an export: its columns and one streamed statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString
from sqlalchemy import Select, func, select

from points_app.areas.models import Area
from points_app.core.clock import local_today, local_zone
from points_app.core.masking import mask_name
from points_app.extensions import db
from points_app.reports import scope
from points_app.reports.period import Period
from points_app.reports.scope import CommunityMap

BATCH = 1000


@dataclass(frozen=True)
class Column:
    """One column: a key, a header in the page's language, and whether it is personal data."""

    key: str
    label: LazyString
    personal: bool = False


@dataclass
class Query:
    """What rows to give: an area, a period, a filter of the source; masked or not."""

    area: Area
    period: Period
    filter: str = ""
    unmasked: bool = False
    today: dt.date = field(default_factory=local_today)
    label: Callable[[Callable[[Any], Any], Any], str] = field(
        default_factory=lambda: label_cache(), repr=False, compare=False
    )

    def filters(self) -> dict[str, str]:
        """The query as the audit log and the links keep it."""
        return {"area": self.area.code, **self.period.as_args(), "filter": self.filter}


Build = Callable[[Query, CommunityMap], Select[Any]]
Shape = Callable[[Any, Query], tuple[Any, ...]]


def _as_is(row: Any, query: Query) -> tuple[Any, ...]:
    return tuple(row)


@dataclass(frozen=True)
class Source:
    """Rows of one kind for an area and period, streamed from one statement."""

    kind: str
    title: LazyString
    columns: tuple[Column, ...]
    build: Build
    shape: Shape = _as_is
    filters: tuple[str, ...] = ("",)
    stream: Callable[[Source, Query], Iterator[tuple[Any, ...]]] | None = None

    def statement(self, query: Query) -> Select[Any]:
        return self.build(query, scope.community_map(query.area))

    def rows(self, query: Query) -> Iterator[tuple[Any, ...]]:
        """Every row, masked as the query says, a batch at a time (never all in memory)."""
        if self.stream is not None:
            yield from self.stream(self, query)
            return
        personal = [i for i, c in enumerate(self.columns) if c.personal]
        result = db.session.execute(self.statement(query).execution_options(yield_per=BATCH))
        for row in result:
            values = self.shape(row, query)
            if personal and not query.unmasked:
                values = mask_columns(values, personal)
            yield values

    def count(self, query: Query) -> int:
        """How many rows `rows()` would give."""
        inner = self.statement(query).order_by(None).subquery()
        return int(db.session.scalar(select(func.count()).select_from(inner)) or 0)

    def headers(self) -> list[str]:
        return [str(c.label) for c in self.columns]


def mask_columns(values: tuple[Any, ...], personal: list[int]) -> tuple[Any, ...]:
    """The row with its personal columns masked."""
    out = list(values)
    for index in personal:
        out[index] = mask_name(out[index]) if out[index] else out[index]
    return tuple(out)


def label_cache() -> Callable[[Callable[[Any], Any], Any], str]:
    """A per-export memo of enum labels: a label is looked up once, not once per row."""
    seen: dict[tuple[Any, Any], str] = {}

    def label(fn: Callable[[Any], Any], value: Any) -> str:
        key = (fn, value)
        if key not in seen:
            seen[key] = str(fn(value))
        return seen[key]

    return label


def local_text(moment: dt.datetime | None) -> str:
    """A UTC moment as local 'YYYY-MM-DD HH:MM' (empty for None)."""
    if moment is None:
        return ""
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def hours(minutes: Any) -> float:
    return round(int(minutes or 0) / 60, 1)


def community_names(area: Area) -> dict[int, str]:
    """Names of the communities in an area by id (one small statement)."""
    return {a.id: a.name for a in db.session.scalars(scope.communities_in(area))}
