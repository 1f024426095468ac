"""Contributions across issues: who served the issues resolved in an area and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from points_app.issues.contributions import contributions
from points_app.reports.contributions import contributions_across
from points_app.reports.period import Period

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _summary(rows: list[Any]) -> list[tuple[str, float, int, list[int]]]:
    return [(s.contributor.name, s.hours, s.contributor.points, sorted(s.issues)) for s in rows]


def test_everyone_who_served_a_resolved_issue_with_hours_points_and_issues(
    march: Any, county: dict[str, Any]
) -> None:
    i1, i2, _i3, i4 = march["issues"]
    found = contributions_across(county["county"], MARCH)
    # The period picks the resolved issues; all their service counts (v2's April half hour too).
    assert _summary(found.volunteers) == [("志愿者乙", 2.0, 2, [i1.id, i2.id])]
    assert list(found.party_by_unit) == ["县供电公司"]
    assert _summary(found.party_by_unit["县供电公司"]) == [("党员甲", 3.0, 2, [i1.id, i2.id])]
    assert _summary(found.organisations) == [
        ("A单位", 3.0, 2, [i1.id, i2.id]), ("A支部", 3.0, 2, [i1.id, i2.id]),
        ("A志愿队", 2.0, 2, [i1.id, i2.id]),
    ]  # fmt: skip
    # i4 is still being handled: its service is not counted yet.
    assert [i.id for i in found.issues] == [i2.id, i1.id]
    assert all(i4.id not in s.issues for s in found.everyone())


def test_it_agrees_with_each_issues_own_review(march: Any, county: dict[str, Any]) -> None:
    found = contributions_across(county["community_a"], MARCH)
    for issue in march["issues"][:2]:
        review = contributions(issue)
        names = {p.name for p in review.people} | {o.name for o in review.organisations}
        listed = next(i for i in found.issues if i.id == issue.id)
        assert set(listed.contributors) == names


def test_a_community_without_resolved_issues_has_no_contributors(
    march: Any, county: dict[str, Any]
) -> None:
    found = contributions_across(county["community_b"], MARCH)
    assert found.everyone() == [] and found.issues == []
