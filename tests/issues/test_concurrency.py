"""Two people moving the same issue at the same moment: only one move happens."""

from __future__ import annotations

from sqlalchemy import select

from points_app.accounts.models import User
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import workflow
from points_app.issues.models import Issue, IssueEvent, IssueState
from tests.concurrency import run_together

WRITERS = 4


def test_simultaneous_moves_from_the_same_state_happen_once(app, new_issue, people):
    issue_id, user_id = new_issue().id, people["committee"].id

    def move() -> str:
        issue = db.session.get(Issue, issue_id)
        actor = db.session.get(User, user_id)
        workflow.transition(issue, "deliberating", actor=actor, note="上会")
        db.session.commit()
        return "moved"

    results = run_together(app, WRITERS, lambda _i: move())
    refused = [r for r in results if isinstance(r, DomainError)]
    assert results.count("moved") == 1, results
    assert {r.code for r in refused} == {"invalid_transition"}
    assert len(refused) == WRITERS - 1
    moves = db.session.scalars(
        select(IssueEvent).where(
            IssueEvent.issue_id == issue_id, IssueEvent.from_state.is_not(None)
        )
    ).all()
    assert [(m.from_state, m.to_state) for m in moves] == [
        (IssueState.raised, IssueState.deliberating)
    ]


def test_simultaneous_evaluations_are_recorded_once(app, issue_in, people):
    issue_id, user_id = issue_in(IssueState.evaluating).id, people["grid"].id

    def rate() -> str:
        issue = db.session.get(Issue, issue_id)
        actor = db.session.get(User, user_id)
        workflow.evaluate_issue(issue, actor=actor, satisfaction=1, solved=False)
        db.session.commit()
        return "rated"

    results = run_together(app, WRITERS, lambda _i: rate())
    assert results.count("rated") == 1, results
    assert {r.code for r in results if isinstance(r, DomainError)} == {"not_evaluating"}
    issue = db.session.get(Issue, issue_id)
    assert len(issue.evaluations) == 1
    assert issue.state is IssueState.handling
