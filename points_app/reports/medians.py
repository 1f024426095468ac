"""The median days from raised to resolved, per community and over the whole area.

A median is not a sum, so it cannot be added up from the communities. PostgreSQL has it
as an aggregate. SQLite has none: there the days of the period's resolved issues are read
(one number and a community id each) and the medians taken in Python. That is faster
than having SQLite number the rows in order of their days, per community and over the
whole area, and read only the middle ones: the two orderings cost it more than reading a
county's year of resolved issues (12,000 rows: 56 ms against 21, BENCHMARKS.md
"Reports").
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median
from typing import Any

from sqlalchemy import func, select, tuple_

from points_app.extensions import db
from points_app.reports import scope
from points_app.reports.period import Period
from points_app.reports.scope import CommunityMap

WHOLE = "whole"


def median_days(cm: CommunityMap, period: Period, days: Any) -> dict[Any, float]:
    """The median of `days` over the issues resolved in the period: per community id, and
    for the whole area under the key WHOLE. Areas with no resolved issue have no key.

    PostgreSQL has the median as an aggregate (`percentile_cont(0.5)`, the mean of the two
    middle values of an even count) and takes both groupings in one pass; on SQLite the
    days are read and the medians taken here (`_read`)."""
    rows = scope.resolved_issues(cm, period).add_columns(days.label("days"))
    if db.session.get_bind().dialect.name != "postgresql":
        return _read(rows)
    resolved = rows.subquery("resolved")
    community = resolved.c[scope.COMMUNITY]
    middle = func.percentile_cont(0.5).within_group(resolved.c.days)
    both = select(func.grouping(community), community, middle).group_by(
        func.grouping_sets(tuple_(community), tuple_())
    )
    return {
        WHOLE if whole else community_id: float(value)
        for whole, community_id, value in db.session.execute(both)
        if value is not None
    }


def _read(rows: Any) -> dict[Any, float]:
    """The medians of the days read from the rows (community id, days)."""
    days: dict[Any, list[float]] = defaultdict(list)
    for community_id, value in db.session.execute(rows):
        days[community_id].append(float(value))
    medians = {community_id: median(values) for community_id, values in days.items()}
    if days:
        medians[WHOLE] = median([value for values in days.values() for value in values])
    return medians
