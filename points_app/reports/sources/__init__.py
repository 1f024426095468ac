"""Every kind of row a report list or an export can give, by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, literal, select

from points_app.reports.labels import FIGURE_LABELS
from points_app.reports.scope import CommunityMap
from points_app.reports.sources.base import Column, Query, Source
from points_app.reports.sources.issues import ISSUES, MEDIATIONS
from points_app.reports.sources.points import REDEMPTIONS, STOCK, TRANSFERS
from points_app.reports.sources.service import (
    ATTENDANCES,
    EVENTS,
    ORGANISATIONS,
    PROJECTS,
    REGISTRATIONS,
    SESSIONS,
    VOLUNTEERS,
)


def _nothing(q: Query, cm: CommunityMap) -> Select[Any]:
    return select(literal(0)).where(false())


def _figure_stream(source: Source, q: Query) -> Iterator[tuple[Any, ...]]:
    from points_app.reports.figures import FIGURES, compute_figures

    figures = compute_figures(q.area, q.period, q.today)
    for community in figures.communities:
        row = figures.by_community[community.id]
        yield (community.name, *[_blank(row[k]) for k in FIGURES])
    yield (str(_l("Total")), *[_blank(figures.totals[k]) for k in FIGURES])


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _figure_count(q: Query) -> int:
    from points_app.reports import scope

    return len(scope.load_map(q.area).communities) + 1


class _FigureSource(Source):
    def count(self, query: Query) -> int:
        return _figure_count(query)


class _ContributionSource(Source):
    def count(self, query: Query) -> int:
        return sum(1 for _ in self.rows(query))


def _contribution_stream(source: Source, q: Query) -> Iterator[tuple[Any, ...]]:
    from points_app.reports.contributions import contribution_rows

    kinds = {
        "volunteer": _l("Volunteer"),
        "party_member": _l("Party member"),
        "organisation": _l("Organisation"),
    }
    for kind, *rest in contribution_rows(q.area, q.period):
        yield (str(kinds[kind]), *rest)


FIGURES_SOURCE = _FigureSource(
    kind="figures",
    title=_l("Figures by community"),
    columns=(
        Column("community", _l("Community")),
        *[Column(key, label) for key, label in FIGURE_LABELS.items()],
    ),
    build=_nothing,
    stream=_figure_stream,
)

CONTRIBUTIONS = _ContributionSource(
    kind="contributions",
    title=_l("Contributions across issues"),
    columns=(
        Column("kind", _l("Kind")),
        Column("name", _l("Name")),
        Column("unit", _l("Work unit or organisations")),
        Column("hours", _l("Hours")),
        Column("points", _l("Points")),
        Column("issues", _l("Resolved issues served")),
    ),
    build=_nothing,
    stream=_contribution_stream,
)

SOURCES: dict[str, Source] = {
    s.kind: s
    for s in (
        FIGURES_SOURCE, VOLUNTEERS, ATTENDANCES, TRANSFERS, REDEMPTIONS, ISSUES,
        CONTRIBUTIONS, REGISTRATIONS, ORGANISATIONS, EVENTS, PROJECTS, SESSIONS,
        MEDIATIONS, STOCK,
    )
}  # fmt: skip

# What the issue asks the exports for; the others are the lists behind figures.
EXPORT_KINDS = (
    "figures", "volunteers", "attendances", "transfers", "redemptions", "issues",
    "contributions",
)  # fmt: skip

__all__ = ["EXPORT_KINDS", "SOURCES", "Column", "Query", "Source"]
