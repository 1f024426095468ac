"""Points rules: minutes served and the points an event's rule gives for them."""

from __future__ import annotations

import datetime as dt
import math

from points_app.events.models import (
    Event,
    PointsRule,
)


def _minutes(event: Event, start: dt.datetime, end: dt.datetime) -> int:
    """Minutes between two moments, counted only within the event's own time."""
    start, end = max(start, event.starts_at), min(end, event.ends_at)
    return max(int((end - start).total_seconds() // 60), 0)


def points_for(event: Event, minutes: int) -> int:
    """The points an attendance of so many minutes earns under the event's rule."""
    if event.points_rule is PointsRule.fixed:
        points = event.points_value
    else:
        points = math.ceil(minutes / 60) * event.points_value
    if event.points_cap is not None:
        points = min(points, event.points_cap)
    return points


def minutes_counted(event: Event, start: dt.datetime, end: dt.datetime) -> int:
    """The minutes an attendance from `start` to `end` would count (within the event's time)."""
    return _minutes(event, start, end)
