"""What the dashboard shows beside the figures: the charts and the community comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from points_app.areas.models import Area
from points_app.issues.labels import category_label
from points_app.reports.charts import COLOURS, Bar, bar_chart, column_chart
from points_app.reports.figures import Figures
from points_app.reports.labels import LEVEL_NAMES, figure_label


@dataclass
class ComparisonRow:
    """One community's figures in the comparison table."""

    community: Area
    values: dict[str, Any]


def sorted_comparison(figures: Figures, key: str, descending: bool) -> list[ComparisonRow]:
    """The communities side by side, sorted by one figure (or by name)."""
    rows = [ComparisonRow(c, figures.by_community[c.id]) for c in figures.communities]
    if key == "name":
        return sorted(rows, key=lambda r: r.community.name, reverse=descending)
    return sorted(rows, key=lambda r: (r.values[key] or 0, r.community.name), reverse=descending)


def dashboard_charts(
    figures: Figures, comparison: list[ComparisonRow], sort: str, args: dict[str, Any]
) -> dict[str, Markup]:
    """Every chart of the dashboard as inline SVG."""
    # The month's number; January (and the first month) with its year.
    months = [
        str(m.month.year) if m.month.month == 1 or i == 0 else str(m.month.month)
        for i, m in enumerate(figures.trend)
    ]
    charts = {
        "hours": column_chart(
            months, [(_("Volunteer hours"), [m.hours for m in figures.trend])],
            title=_("Volunteer hours by month"),
        ),
        "issues": column_chart(
            months,
            [(_("Issues raised"), [m.raised for m in figures.trend]),
             (_("Issues resolved"), [m.resolved for m in figures.trend])],
            title=_("Issues raised and resolved by month"),
        ),
        "categories": bar_chart(
            [Bar(str(category_label(k)), v) for k, v in
             sorted(figures.by_category.items(), key=lambda kv: -kv[1])],
            title=_("Issues raised by category"), colour=COLOURS[1],
        ),
        "levels": bar_chart(
            [Bar(str(LEVEL_NAMES.get(k, k)), v) for k, v in
             sorted(figures.by_level.items(), key=lambda kv: -kv[1])],
            title=_("Issues raised by handling level"), colour=COLOURS[2],
        ),
        "points": bar_chart(
            [Bar(figure_label(k), figures.totals[k],
                 url_for("reports.rows", kind=kind, **args, filter=f))
             for k, kind, f in (("points_issued", "transfers", "issued"),
                                ("points_given", "transfers", "given"),
                                ("points_redeemed", "redemptions", ""))],
            title=_("Points flow"), colour=COLOURS[3],
        ),
    }  # fmt: skip
    if len(comparison) > 1:
        key = sort if sort != "name" else "issues_resolved"
        charts["comparison"] = bar_chart(
            [Bar(r.community.name, r.values[key] or 0,
                 url_for("reports.dashboard", **{**args, "area": r.community.id}))
             for r in comparison],
            title=figure_label(key), colour=COLOURS[4],
        )  # fmt: skip
    return charts
