"""The lists behind the figures and the exports' rows agree with the figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from points_app.reports.figures import compute_figures
from points_app.reports.labels import FIGURE_LISTS
from points_app.reports.period import Period
from points_app.reports.sources import SOURCES, Query
from tests.reports.conftest import TODAY

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

# Figures that count the rows of the list behind them, one row each.
COUNTED = [
    "party_members_registered", "party_members_reporting", "volunteer_teams_active",
    "units_active", "talk_sessions", "issues_raised", "issues_resolved", "issues_overdue",
    "disputes_mediated", "mediations", "legal_talks", "legal_problems_solved",
    "venture_projects_published", "venture_projects_claimed", "venture_projects_closed",
    "welfare_days", "volunteers_active",
]  # fmt: skip


@pytest.mark.parametrize("key", COUNTED)
def test_the_list_behind_a_figure_has_as_many_rows(
    march: Any, county: dict[str, Any], key: str
) -> None:
    totals = compute_figures(county["county"], MARCH, today=TODAY).totals
    kind, filter_ = FIGURE_LISTS[key]
    query = Query(area=county["county"], period=MARCH, filter=filter_, today=TODAY)
    assert SOURCES[kind].count(query) == len(list(SOURCES[kind].rows(query))) == totals[key]


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_every_source_gives_rows_as_wide_as_its_headers(
    march: Any, county: dict[str, Any], kind: str
) -> None:
    source = SOURCES[kind]
    for filter_ in source.filters:
        query = Query(area=county["street"], period=MARCH, filter=filter_, today=TODAY)
        rows = list(source.rows(query))
        assert all(len(r) == len(source.columns) for r in rows)
        assert source.count(query) == len(rows)


def test_sums_behind_figures_match(march: Any, county: dict[str, Any]) -> None:
    totals = compute_figures(county["county"], MARCH, today=TODAY).totals
    q = Query(area=county["county"], period=MARCH, today=TODAY)
    events = list(SOURCES["events"].rows(Query(**{**q.__dict__, "filter": "served"})))
    assert sum(r[-1] for r in events) == totals["people_served"]
    given = list(SOURCES["transfers"].rows(Query(**{**q.__dict__, "filter": "given"})))
    assert sum(r[3] for r in given) == totals["points_given"]
    redeemed = list(SOURCES["redemptions"].rows(q))
    assert sum(r[6] for r in redeemed) == totals["points_redeemed"]
    stock = list(SOURCES["stock"].rows(q))
    assert sum(r[-1] for r in stock) == totals["stock_value"]
    minutes = sum(r[5] for r in SOURCES["attendances"].rows(q))
    assert round(minutes / 60, 1) == totals["volunteer_hours"]


def test_figures_export_has_a_row_per_community_and_a_total(
    march: Any, county: dict[str, Any]
) -> None:
    q = Query(area=county["street"], period=MARCH, today=TODAY)
    rows = list(SOURCES["figures"].rows(q))
    assert [r[0] for r in rows[:-1]] == ["社区A", "社区B", "社区C"]
    assert rows[-1][1:] == tuple(
        "" if v is None else v for v in compute_figures(county["street"], MARCH, TODAY).totals_row()
    )
