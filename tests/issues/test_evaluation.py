"""Evaluation (评): closing, sending back on a poor rating, and refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import workflow
from points_app.issues.models import HandlingLevel, IssueState


def test_a_good_rating_closes_the_issue(clock, issue_in, people):
    issue = issue_in(IssueState.evaluating)
    evaluation = workflow.evaluate_issue(
        issue, actor=people["grid"], satisfaction=4, solved=True, comment="挺好"
    )
    db.session.commit()
    assert issue.state is IssueState.closed
    assert issue.closed_at == clock.now
    assert evaluation.is_by_proxy
    assert issue.latest_evaluation is evaluation
    assert issue.events[-1].evaluation is evaluation


def test_a_rating_given_without_a_comment_keeps_an_empty_one(clock, issue_in, people):
    issue = issue_in(IssueState.evaluating)
    evaluation = workflow.evaluate_issue(issue, actor=None, satisfaction=5, solved=True)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(evaluation), evaluation.id).comment == ""


def test_a_rating_and_its_move_are_dated_when_the_rating_is_given(clock, issue_in, people):
    issue = issue_in(IssueState.evaluating)
    rated_at = clock.advance(hours=2)
    evaluation = workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=4, solved=True)
    assert evaluation.at == rated_at
    assert issue.events[-1].at == rated_at


def test_a_rating_entered_later_is_dated_when_given_and_its_comment_is_on_the_timeline(
    clock, issue_in, people
):
    # Rated on paper at the talk yesterday, typed in this morning.
    issue = issue_in(IssueState.evaluating)
    given_at = clock.now - dt.timedelta(hours=20)
    clock.advance(hours=2)
    workflow.evaluate_issue(
        issue, actor=people["grid"], satisfaction=5, solved=True, comment=" 很满意 ", at=given_at
    )
    db.session.commit()
    last = issue.events[-1]
    assert (last.to_state, last.at, last.note) == (IssueState.closed, given_at, "很满意")
    assert issue.closed_at == given_at


@pytest.mark.parametrize(("satisfaction", "solved"), [(2, True), (1, True), (5, False), (3, False)])
def test_a_poor_rating_sends_it_back_to_handling(clock, issue_in, people, satisfaction, solved):
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    workflow.transition(issue, "handling", actor=people["grid"], level="community", note="升级")
    workflow.transition(issue, "evaluating", actor=people["organiser"], note="已协调")
    clock.advance(days=1)
    workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=satisfaction, solved=solved)
    db.session.commit()
    assert issue.state is IssueState.handling
    assert issue.level is HandlingLevel.community  # back at the level that handled it
    assert issue.due_on == dt.date(2026, 3, 12)  # a fresh 7 working days from Tuesday
    assert issue.events[-1].is_send_back


def test_every_send_back_is_recorded(issue_in, people):
    issue = issue_in(IssueState.evaluating)
    for _ in range(2):
        workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=2, solved=False)
        workflow.transition(issue, "evaluating", actor=people["grid"], note="又处理了一次")
    workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=5, solved=True)
    db.session.commit()
    assert sum(e.is_send_back for e in issue.events) == 2
    assert [e.satisfaction for e in issue.evaluations] == [2, 2, 5]
    assert issue.state is IssueState.closed


@pytest.mark.parametrize(
    "state", [IssueState.raised, IssueState.deliberating, IssueState.handling, IssueState.closed]
)
def test_evaluating_an_issue_not_in_evaluation_is_refused(issue_in, people, state):
    issue = issue_in(state)
    with pytest.raises(DomainError) as refused:
        workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=5, solved=True)
    assert refused.value.code == "not_evaluating"
    assert refused.value.status == 409
    db.session.rollback()
    assert len(issue.evaluations) == (1 if state is IssueState.closed else 0)


@pytest.mark.parametrize("satisfaction", [0, 6, -1, True])
def test_satisfaction_is_one_to_five(issue_in, people, satisfaction):
    issue = issue_in(IssueState.evaluating)
    with pytest.raises(DomainError) as refused:
        workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=satisfaction, solved=True)
    assert refused.value.code == "invalid_satisfaction"


def test_closing_without_an_evaluation_is_refused(issue_in, people):
    issue = issue_in(IssueState.evaluating)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "closed", actor=people["committee"])
    assert refused.value.code == "evaluation_required"


def test_a_rating_recorded_on_the_residents_behalf_names_who_recorded_it(issue_in, people):
    issue = issue_in(IssueState.evaluating)
    evaluation = workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=5, solved=True)
    assert evaluation.is_by_proxy
    assert evaluation.recorded_by_id == people["grid"].id


def test_the_resident_rating_themselves_is_not_marked_as_proxy(issue_in):
    issue = issue_in(IssueState.evaluating)
    evaluation = workflow.evaluate_issue(issue, actor=None, satisfaction=5, solved=True)
    assert not evaluation.is_by_proxy
    assert evaluation.recorded_by_id is None
    assert issue.state is IssueState.closed


def test_a_stranger_cannot_evaluate(issue_in, people):
    issue = issue_in(IssueState.evaluating)
    with pytest.raises(DomainError) as refused:
        workflow.evaluate_issue(issue, actor=people["grid_b"], satisfaction=5, solved=True)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("satisfaction", [3, 4, 5])
def test_a_solved_rating_of_three_or_more_closes_the_issue(clock, issue_in, people, satisfaction):
    issue = issue_in(IssueState.evaluating)
    evaluation = workflow.evaluate_issue(
        issue, actor=people["grid"], satisfaction=satisfaction, solved=True
    )
    db.session.commit()
    assert evaluation.is_accepted
    assert issue.state is IssueState.closed
    assert not issue.events[-1].is_send_back


def test_three_is_the_lowest_rating_that_closes_and_two_sends_back(clock, issue_in, people):
    closing = issue_in(IssueState.evaluating)
    workflow.evaluate_issue(closing, actor=people["grid"], satisfaction=3, solved=True)
    back = issue_in(IssueState.evaluating)
    workflow.evaluate_issue(back, actor=people["grid"], satisfaction=2, solved=True)
    db.session.commit()
    assert (closing.state, back.state) == (IssueState.closed, IssueState.handling)
    assert back.events[-1].is_send_back
