"""The issue figures of the reports: raised, resolved, overdue, median days, satisfaction.

Part of `figures.compute_figures` (same `put` callback and CommunityMap), kept apart so
each module stays readable.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from points_app.extensions import db
from points_app.issues.models import Issue, IssueCategory, IssueEvaluation
from points_app.reports import scope
from points_app.reports.medians import WHOLE, median_days
from points_app.reports.period import Period
from points_app.reports.scope import CommunityMap

NO_LEVEL = "none"
Put = Any  # the put(area_id, key, value) callback of compute_figures


@dataclass
class TrendMonth:
    """One local month of the trend chart."""

    month: dt.date
    hours: float = 0.0
    raised: int = 0
    resolved: int = 0


def _days(start: Any, end: Any) -> Any:
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def issue_figures(
    cm: CommunityMap,
    period: Period,
    today: dt.date,
    put: Put,
    extra: dict[str, Any],
    trend: list[TrendMonth],
) -> tuple[dict[str, int], dict[str, int]]:
    """Issues raised, resolved (and legal problems solved), overdue; the median days to
    resolve and the satisfaction (into `extra`); the trend's issue counts; and the raised
    issues by category and by level, for the charts."""
    # Per area and month (the figures and the trend), then per category and level (the
    # charts): two small results rather than one row per area, category, level and month.
    raised_in = scope.month_index(Issue.created_at, period).label("month")
    raised = (
        scope.raised_issues(cm, period)
        .with_only_columns(Issue.area_id, raised_in, func.count(Issue.id))
        .group_by(Issue.area_id, raised_in)
    )
    for area_id, month, n in db.session.execute(raised):
        put(area_id, "issues_raised", n)
        trend[int(month)].raised += int(n)
    by_kind = (
        scope.raised_issues(cm, period)
        .with_only_columns(Issue.category, Issue.level, func.count(Issue.id))
        .group_by(Issue.category, Issue.level)
    )
    by_category: Counter[str] = Counter()
    by_level: Counter[str] = Counter()
    for category, level, n in db.session.execute(by_kind):
        by_category[str(getattr(category, "value", category))] += int(n)
        by_level[str(getattr(level, "value", level)) if level else NO_LEVEL] += int(n)
    # Resolved issues per area and month, and how many of them were legal problems.
    closed_in = scope.month_index(Issue.closed_at, period).label("month")
    legal = func.coalesce(func.sum(case((Issue.category == IssueCategory.legal, 1), else_=0)), 0)
    resolved = (
        scope.resolved_issues(cm, period)
        .with_only_columns(Issue.area_id, closed_in, func.count(Issue.id), legal)
        .group_by(Issue.area_id, closed_in)
    )
    for area_id, month, n, legal_n in db.session.execute(resolved):
        put(area_id, "issues_resolved", n)
        put(area_id, "legal_problems_solved", legal_n)
        trend[int(month)].resolved += int(n)
    medians = median_days(cm, period, _days(Issue.created_at, Issue.closed_at))
    overdue = (
        scope.overdue_issues(cm, period, today)
        .with_only_columns(Issue.area_id, func.count(Issue.id))
        .group_by(Issue.area_id)
    )
    for area_id, n in db.session.execute(overdue):
        put(area_id, "issues_overdue", n)
    rated = (
        select(
            Issue.area_id,
            func.coalesce(func.sum(IssueEvaluation.satisfaction), 0),
            func.count(IssueEvaluation.id),
        )
        .select_from(IssueEvaluation)
        .join(Issue, Issue.id == IssueEvaluation.issue_id)
        .where(cm.covers(Issue.area_id))
        .where(scope.between(IssueEvaluation.at, period))
        .group_by(Issue.area_id)
    )
    extra["median"] = medians.get(WHOLE)
    per: dict[int, dict[str, Any]] = {
        cid: {"median_days_to_resolve": round(days, 1)}
        for cid, days in medians.items()
        if cid != WHOLE
    }
    ratings: dict[int, Counter[str]] = {}
    for area_id, total, n in db.session.execute(rated):
        community_id = cm.community_of(area_id)
        if community_id is not None:
            ratings.setdefault(community_id, Counter()).update(sum=int(total), n=int(n))
    for community_id, rating in ratings.items():
        extra["satisfaction"].update(rating)
        if rating["n"]:
            average = round(rating["sum"] / rating["n"], 2)
            per.setdefault(community_id, {})["average_satisfaction"] = average
    extra["per_community"] = per
    return dict(by_category), dict(by_level)
