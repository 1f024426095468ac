"""The median days from raised to resolved, worked out by the database.

A median is not a sum, so it cannot be added up from the communities; and reading every
resolved issue of a county's year into Python to sort it costs more than the rest of
the dashboard. Numbering the issues in order of their days, per community and over the
whole area, leaves only the middle one or two of each to read: at most four rows a
community, and the same answer as `statistics.median` over all of them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select, tuple_

from points_app.extensions import db
from points_app.reports import scope
from points_app.reports.period import Period
from points_app.reports.scope import CommunityMap

WHOLE = "whole"


def _middle(position: Any, count: Any) -> Any:
    # The middle position(s) of 1..count: one when count is odd, two when it is even.
    return position.in_([(count + 1) // 2, (count + 2) // 2])


def median_days(cm: CommunityMap, period: Period, days: Any) -> dict[Any, float]:
    """The median of `days` over the issues resolved in the period: per community id, and
    for the whole area under the key WHOLE. Areas with no resolved issue have no key.

    PostgreSQL has the median as an aggregate (`percentile_cont(0.5)`, the mean of the two
    middle values of an even count) and takes both groupings in one pass; SQLite numbers
    the rows instead (`_numbered`)."""
    rows = scope.resolved_issues(cm, period).add_columns(days.label("days")).subquery("resolved")
    if db.session.get_bind().dialect.name != "postgresql":
        return _numbered(rows)
    community = rows.c[scope.COMMUNITY]
    median = func.percentile_cont(0.5).within_group(rows.c.days)
    both = select(func.grouping(community), community, median).group_by(
        func.grouping_sets(tuple_(community), tuple_())
    )
    return {
        WHOLE if whole else community_id: float(value)
        for whole, community_id, value in db.session.execute(both)
        if value is not None
    }


def _numbered(rows: Any) -> dict[Any, float]:
    """The medians from the rows numbered in order of their days, per community and over
    the whole area: only the middle one or two of each are read."""
    community, value = rows.c[scope.COMMUNITY], rows.c.days
    ranked = select(
        community.label("community"),
        value.label("days"),
        func.row_number().over(partition_by=community, order_by=value).label("i"),
        func.count().over(partition_by=community).label("n"),
        func.row_number().over(order_by=value).label("gi"),
        func.count().over().label("gn"),
    ).subquery("ranked")
    middles = select(ranked).where(
        or_(_middle(ranked.c.i, ranked.c.n), _middle(ranked.c.gi, ranked.c.gn))
    )
    picked: dict[Any, list[float]] = defaultdict(list)
    for community_id, value_, i, n, gi, gn in db.session.execute(middles):
        if i in ((n + 1) // 2, (n + 2) // 2):
            picked[community_id].append(float(value_))
        if gi in ((gn + 1) // 2, (gn + 2) // 2):
            picked[WHOLE].append(float(value_))
    return {key: sum(values) / len(values) for key, values in picked.items()}
