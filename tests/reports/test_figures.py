"""The county's figures against the hand-counted March fixture (tests/reports/conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, text

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.reports import scope
from points_app.reports.figures import FIGURES, NOT_SUMMED, compute_figures
from points_app.reports.period import Period, make_period, preset
from tests.reports.conftest import EXPECTED_MARCH, TODAY

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
ADDITIVE = [k for k in FIGURES if k not in NOT_SUMMED] + ["volunteer_minutes"]


def test_each_community_matches_the_hand_count(march: Any, county: dict[str, Any]) -> None:
    figures = compute_figures(county["street"], MARCH, today=TODAY)
    for key in ("a", "b"):
        got = figures.by_community[county[f"community_{key}"].id]
        assert {k: got[k] for k in EXPECTED_MARCH[key]} == EXPECTED_MARCH[key], key


def test_a_community_with_no_data_shows_zeros(march: Any, county: dict[str, Any]) -> None:
    figures = compute_figures(county["street"], MARCH, today=TODAY)
    empty = figures.by_community[county["community_c"].id]
    assert all(empty[k] == 0 for k in ADDITIVE)
    assert empty["average_satisfaction"] is None and empty["median_days_to_resolve"] is None
    alone = compute_figures(county["community_c"], MARCH, today=TODAY)
    assert all(alone.totals[k] == 0 for k in ADDITIVE)


def test_an_empty_period_is_all_zeros_not_an_error(march: Any, county: dict[str, Any]) -> None:
    figures = compute_figures(county["county"], Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    # The stock's value is what is on the shelves now, whatever the period.
    assert {k: figures.totals[k] for k in ADDITIVE if figures.totals[k]} == {"stock_value": 10}
    assert figures.totals["median_days_to_resolve"] is None
    assert [(m.hours, m.raised, m.resolved) for m in figures.trend] == [(0, 0, 0)]


def test_street_and_county_totals_are_the_sums_of_their_communities(
    march: Any, county: dict[str, Any]
) -> None:
    street = compute_figures(county["street"], MARCH, today=TODAY)
    whole = compute_figures(county["county"], MARCH, today=TODAY)
    assert len(street.communities) == 3
    for key in ADDITIVE:
        assert street.totals[key] == sum(c[key] for c in street.by_community.values()), key
        assert whole.totals[key] == street.totals[key], key
    for key in ("a", "b"):
        alone = compute_figures(county[f"community_{key}"], MARCH, today=TODAY)
        assert alone.totals == street.by_community[county[f"community_{key}"].id] | {
            "median_days_to_resolve": alone.totals["median_days_to_resolve"],
            "average_satisfaction": alone.totals["average_satisfaction"],
        }


def test_median_and_average_are_taken_over_all_issues(march: Any, county: dict[str, Any]) -> None:
    totals = compute_figures(county["county"], MARCH, today=TODAY).totals
    # i1: 10 days; i2: 20 Feb 02:00 to 31 Mar 15:30 UTC = 39.5625 days.
    assert totals["median_days_to_resolve"] == round((10 + 39.5625) / 2, 1)
    assert totals["average_satisfaction"] == 4.5  # 4 and 5 in March; February's 2 is out
    assert totals["volunteer_hours"] == round(315 / 60, 1)


def test_medians_per_community_and_over_the_area_are_the_middle_values(
    march: Any, county: dict[str, Any]
) -> None:
    import statistics

    from points_app.issues.models import Issue, IssueCategory, IssueChannel, IssueState

    b = county["community_b"]
    for days in (1, 2, 4):  # odd count in B: its median is the middle one
        db.session.add(
            Issue(
                title=f"B {days}", category=IssueCategory.environment,
                channel=IssueChannel.grid_visit, area=b, state=IssueState.closed,
                created_at=dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC),
                closed_at=dt.datetime(2026, 3, 1 + days, 2, tzinfo=dt.UTC),
            )
        )  # fmt: skip
    db.session.flush()
    figures = compute_figures(county["street"], MARCH, today=TODAY)
    a_days = [10, 39.5625]  # the fixture's two issues in A: an even count, the mean of both
    assert figures.by_community[b.id]["median_days_to_resolve"] == 2
    assert figures.by_community[county["community_a"].id]["median_days_to_resolve"] == round(
        statistics.median(a_days), 1
    )
    # Over the street: the middle of all five, not a mean of the communities' medians.
    assert figures.totals["median_days_to_resolve"] == 4
    assert figures.by_community[county["community_c"].id]["median_days_to_resolve"] is None


def test_local_month_boundaries_split_the_trend(march: Any, county: dict[str, Any]) -> None:
    period = Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30))
    figures = compute_figures(county["county"], period, today=TODAY)
    assert [m.month for m in figures.trend] == [
        dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1),
    ]  # fmt: skip
    assert [m.raised for m in figures.trend] == [1, 3, 1]
    assert [m.resolved for m in figures.trend] == [0, 2, 0]
    assert [m.hours for m in figures.trend] == [0, round(315 / 60, 1), round(30 / 60, 1)]


def test_issue_charts_count_by_category_and_level(march: Any, county: dict[str, Any]) -> None:
    figures = compute_figures(county["county"], MARCH, today=TODAY)
    assert figures.by_category == {"environment": 1, "other": 1, "neighbour_dispute": 1}
    assert figures.by_level == {"grid": 1, "none": 1, "street": 1}


def test_json_has_a_key_per_figure(march: Any, county: dict[str, Any]) -> None:
    data = compute_figures(county["county"], MARCH, today=TODAY).as_json()
    assert set(FIGURES) <= set(data)
    assert data["from"] == "2026-03-01" and data["to"] == "2026-03-31"
    assert data["issues_resolved"] == 2 and data["disputes_mediated"] == 1


def _count_statements(run: Any) -> int:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(seen)


def test_statement_count_does_not_grow_with_the_data(
    county: dict[str, Any], make_user: Any, request: Any
) -> None:
    run = lambda: compute_figures(county["county"], MARCH, today=TODAY)  # noqa: E731
    empty = _count_statements(run)
    request.getfixturevalue("march")
    db.session.expire_all()
    assert _count_statements(run) == empty


def test_periods_refuse_reversed_and_overlong_ranges() -> None:
    with pytest.raises(DomainError) as reversed_:
        make_period("2026-03-02", "2026-03-01")
    assert reversed_.value.code == "reversed_range"
    with pytest.raises(DomainError) as too_long:
        make_period("2016-01-01", "2026-01-01")
    assert too_long.value.code == "range_too_long"
    with pytest.raises(DomainError) as bad:
        make_period("2026-02-30", None)
    assert bad.value.code == "bad_date"
    assert make_period("2016-01-02", "2026-01-01").end == dt.date(2026, 1, 1)


def test_presets_are_local_calendar_months_quarters_years() -> None:
    day = dt.date(2026, 5, 17)
    assert preset("month", day) == Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert preset("quarter", day) == Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert preset("year", day) == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert MARCH.utc_start == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)
    assert MARCH.utc_end == dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)


def test_report_statements_are_planned_for_their_values_until_the_transaction_ends(
    county: dict[str, Any],
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache; SQLite plans every statement afresh")
    scope.load_map(county["county"])
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    db.session.rollback()  # the pooled connection goes back as it came
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"


def test_a_reports_areas_are_written_into_its_sql_and_each_map_keeps_its_own(
    march: Any, county: dict[str, Any]
) -> None:
    from sqlalchemy import func, select

    from points_app.events.models import Event

    def per_community(area: Any) -> tuple[str, dict[int, int]]:
        nonlocal cm
        cm = scope.load_map(area)
        stmt = (
            select(cm.community(Event.area_id), func.count())
            .where(cm.covers(Event.area_id))
            .group_by(cm.c.community_id)
        )
        return str(stmt.compile(db.engine)), dict(db.session.execute(stmt).all())

    cm: Any = None
    a, b = county["community_a"].id, county["community_b"].id
    sql, alone = per_community(county["community_a"])
    ids = cm.area_ids()
    assert a in ids and county["grid_a"].id in ids
    # A plain IN list, as `in_()` writes it: a WHERE on SQLite must not test it as `= 1`,
    # which keeps the index on the area out of use.
    assert f"WHERE events.area_id IN ({', '.join(map(str, ids))})" in sql and ") = 1" not in sql
    whens = " ".join(f"WHEN {i} THEN {a}" for i in ids)
    assert f"CASE events.area_id {whens} END AS report_community" in sql
    # The ids are part of the statement's cache key: the same statement for another area
    # is not answered with the first one's SQL.
    _, street = per_community(county["street"])
    assert set(alone) == {a} and {a, b} <= set(street) and street[a] == alone[a]


def test_an_organisation_is_active_only_in_a_period_a_member_served_approved(
    march: Any, county: dict[str, Any]
) -> None:
    from points_app.events.models import Attendance, AttendanceStatus, Event, EventKind
    from points_app.people.models import Membership, Organisation, OrganisationKind, Volunteer
    from points_app.people.units import unit_for
    from points_app.reports.sources import SOURCES, Query
    from tests.reports.conftest import at

    c = county["community_c"]
    team = Organisation(name="C志愿队", kind=OrganisationKind.volunteer_team, area=c)
    member = Volunteer(real_name="队员丁", phone="13900000004", home_community=c)
    employee = Volunteer(real_name="党员戊", phone="13900000005", home_community=c,
                         is_party_member=True, unit=unit_for(c, "C单位"))  # fmt: skip

    def event(title: str, start: str, end: str) -> Event:
        return Event(title=title, kind=EventKind.volunteer, area=c, starts_at=at(start),
                     ends_at=at(end))  # fmt: skip

    march_event = event("三月", "2026-03-20T02:00", "2026-03-20T04:00")
    april_event = event("四月", "2026-04-02T02:00", "2026-04-02T04:00")
    db.session.add_all([team, member, employee, march_event, april_event])
    db.session.flush()
    db.session.add_all([
        Membership(organisation=team, volunteer=member),
        # In March: only attendances still waiting for approval.
        Attendance(event=march_event, volunteer=member, status=AttendanceStatus.pending,
                   checked_in_at=at("2026-03-20T02:00"), minutes=60),
        Attendance(event=march_event, volunteer=employee, status=AttendanceStatus.pending,
                   checked_in_at=at("2026-03-20T02:00"), minutes=60),
        # In April: approved.
        Attendance(event=april_event, volunteer=member, status=AttendanceStatus.approved,
                   checked_in_at=at("2026-04-02T02:00"), minutes=60, points_awarded=1),
        Attendance(event=april_event, volunteer=employee, status=AttendanceStatus.approved,
                   checked_in_at=at("2026-04-02T02:00"), minutes=90, points_awarded=1),
    ])  # fmt: skip
    db.session.commit()

    in_march = compute_figures(c, MARCH, today=TODAY).totals
    assert (in_march["volunteer_teams_active"], in_march["units_active"]) == (0, 0)
    april = Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    in_april = compute_figures(c, april, today=TODAY).totals
    assert (in_april["volunteer_teams_active"], in_april["units_active"]) == (1, 1)
    # The list behind the figure: the same organisations, with who served and their hours.
    rows = list(SOURCES["organisations"].rows(Query(area=c, period=april, today=TODAY)))
    assert sorted((r[1], r[3], r[4]) for r in rows) == [("C单位", 1, 1.5), ("C志愿队", 1, 1.0)]
