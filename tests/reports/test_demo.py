"""The demo's year of history: both communities show figures, the ledger stays balanced."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from points_app.areas.models import Area
from points_app.cli.demo import load_demo
from points_app.core.clock import local_today
from points_app.events.models import Attendance
from points_app.extensions import db
from points_app.reports.figures import compute_figures
from points_app.reports.period import make_period


def test_demo_history_fills_a_year_in_both_communities_once(app: Any) -> None:
    load_demo()
    db.session.commit()
    attendances = db.session.scalar(select(func.count(Attendance.id)))
    load_demo()  # again: nothing more
    db.session.commit()
    assert db.session.scalar(select(func.count(Attendance.id))) == attendances

    today = local_today()
    year = make_period(today.replace(year=today.year - 1), today)
    county = db.session.scalars(select(Area).where(Area.code == "XS")).one()
    figures = compute_figures(county, year)
    for community in figures.communities:
        row = figures.by_community[community.id]
        assert row["issues_resolved"] > 10 and row["volunteer_minutes"] > 0, community.code
        assert row["talk_sessions"] >= 11 and row["legal_talks"] >= 5
    months = [m for m in figures.trend if m.hours > 0]
    assert len(months) >= 12

    from points_app.ledger.verify import run_checks

    assert [r for r in run_checks() if not r.is_clean] == []
