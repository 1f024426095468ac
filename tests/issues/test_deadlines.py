"""Handling levels, escalation and working-day deadlines, on a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import deadlines, queries, workflow
from points_app.issues.models import HandlingLevel, IssueState
from points_app.issues.services import save_settings

MONDAY = dt.date(2026, 3, 2)


def test_working_days_skip_the_weekend(app):
    friday = dt.date(2026, 3, 6)
    assert deadlines.add_working_days(MONDAY, 3) == dt.date(2026, 3, 5)
    assert deadlines.add_working_days(friday, 1) == dt.date(2026, 3, 9)
    assert deadlines.add_working_days(friday, 3) == dt.date(2026, 3, 11)
    assert deadlines.add_working_days(dt.date(2026, 3, 7), 1) == dt.date(2026, 3, 9)  # Saturday
    assert deadlines.add_working_days(MONDAY, 15) == dt.date(2026, 3, 23)
    assert deadlines.working_days_between(friday, dt.date(2026, 3, 11)) == 3


def test_local_day_is_shanghai_time(app):
    late_evening_utc = dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)  # 01:00 on the 2nd
    assert deadlines.local_date(late_evening_utc) == MONDAY


def test_each_level_gets_its_default_deadline(clock, issue_in, people):
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    assert issue.due_on == dt.date(2026, 3, 5)  # 3 working days
    clock.advance(days=1)  # Tuesday
    workflow.transition(issue, "handling", actor=people["grid"], level="community", note="协调不了")
    assert issue.level is HandlingLevel.community
    assert issue.due_on == dt.date(2026, 3, 12)  # 7 working days from Tuesday
    clock.advance(days=3)  # Friday
    workflow.transition(
        issue, "handling", actor=people["organiser"], level="street", note="需要城管"
    )
    assert issue.due_on == dt.date(2026, 3, 27)  # 15 working days from Friday
    db.session.commit()
    escalations = [e for e in issue.events if e.is_escalation]
    assert [(e.level, e.note) for e in escalations] == [
        (HandlingLevel.community, "协调不了"),
        (HandlingLevel.street, "需要城管"),
    ]


def test_deadlines_follow_the_communitys_settings(clock, issue_in, people, tree):
    save_settings(
        tree["community_a"], actor=people["committee"], talk_day=10,
        grid_days=1, community_days=2, street_days=5,
    )  # fmt: skip
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    assert issue.due_on == dt.date(2026, 3, 3)
    workflow.transition(issue, "handling", actor=people["grid"], level="street", note="大事")
    assert issue.due_on == dt.date(2026, 3, 9)


def test_settings_are_refused_outside_their_limits(people, tree):
    with pytest.raises(DomainError) as refused:
        save_settings(
            tree["community_a"], actor=people["committee"], talk_day=31,
            grid_days=3, community_days=7, street_days=15,
        )  # fmt: skip
    assert refused.value.code == "invalid_talk_day"
    with pytest.raises(DomainError) as refused:
        save_settings(
            tree["community_a"], actor=people["grid"], talk_day=3,
            grid_days=3, community_days=7, street_days=15,
        )  # fmt: skip
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("current", "target", "code"),
    [
        ("grid", "grid", "not_higher_level"),
        ("community", "grid", "not_higher_level"),
        ("street", "street", "not_higher_level"),
        ("grid", None, "level_required"),
    ],
)
def test_escalation_must_go_up(issue_in, people, current, target, code):
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["committee"], level=current)
    with pytest.raises(DomainError) as refused:
        workflow.transition(
            issue, "handling", actor=people["committee"], level=target, note="再升一级"
        )
    assert refused.value.code == code


def test_escalation_needs_a_note_and_says_so(app, issue_in, people):
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "handling", actor=people["grid"], level="community")
    assert refused.value.code == "note_required"
    with app.test_request_context():
        assert str(refused.value.message) == "Say why the issue is passed up."


def test_an_issue_not_yet_taken_up_may_go_to_any_level_and_then_only_above_its_own(
    new_issue, people
):
    issue = new_issue()
    assert issue.level is None
    assert workflow.escalation_levels(issue) == list(HandlingLevel)
    workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    assert workflow.escalation_levels(issue) == [HandlingLevel.community, HandlingLevel.street]


def test_no_escalation_is_offered_at_street_level(issue_in, people):
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["committee"], level="street")
    assert IssueState.handling not in workflow.moves_for(issue, people["committee"])
    assert workflow.escalation_levels(issue) == []


def test_overdue_issues_are_flagged_in_lists_and_dashboard(clock, issue_in, people):
    late = issue_in(IssueState.raised)
    workflow.transition(late, "handling", actor=people["grid"], level="grid")
    on_time = issue_in(IssueState.raised)
    db.session.commit()
    clock.set(dt.datetime(2026, 3, 5, 15, 0, tzinfo=dt.UTC))  # Thursday 23:00: due today
    today = deadlines.today()
    assert not late.is_overdue(today)
    assert queries.dashboard(people["committee"], today).overdue == 0
    clock.advance(hours=2)  # Friday 01:00 in Shanghai
    today = deadlines.today()
    assert late.is_overdue(today)
    assert not on_time.is_overdue(today)
    overdue, _ = queries.list_issues(people["committee"], today=today, overdue=True)
    assert overdue == [late]
    assert queries.dashboard(people["committee"], today).overdue == 1
    assert queries.dashboard(people["grid_b"], today).overdue == 0


def test_leaving_handling_clears_the_deadline(clock, issue_in, people):
    issue = issue_in(IssueState.handling)
    assert issue.due_on is not None
    workflow.transition(issue, "deliberating", actor=people["grid"], note="需要上会")
    assert issue.due_on is None and issue.level is None
