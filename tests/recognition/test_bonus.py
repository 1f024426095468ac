"""The resolution bonus: paid once to every approved attendee of the events linked to an
issue when it closes solved and satisfied; nothing when it is sent back or rejected."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from points_app.accounts.models import User
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import workflow
from points_app.issues.models import Issue, IssueCategory, IssueState
from points_app.issues.services import raise_issue
from points_app.ledger import services as ledger
from points_app.ledger.verify import run_checks
from points_app.recognition import bonus
from points_app.recognition.models import BonusPayment
from tests.concurrency import run_together


@pytest.fixture
def linked(tree: Any, people: Any, make_event: Any, serve: Any, now: dt.datetime) -> Any:
    """An issue in evaluation, served by an event with a 5-point bonus: 张伟 served for his
    household (approved), 李娜 for herself (approved); 赵英's attendance is pending."""
    committee = people["committee"]
    issue = raise_issue(
        actor=committee, area=tree["grid_a"], title="楼道堆放杂物",
        category=IssueCategory.environment, resident_name="张三丰", resident_phone="13812345678",
    )  # fmt: skip
    db.session.commit()
    event = make_event(issue_ids=(issue.id,))
    bonus.set_bonus(event, 5, actor=people["organiser"])
    db.session.commit()
    serve(event, people["v"], 60, now, for_household=True)
    serve(event, people["v2"], 60, now)
    workflow.transition(issue, "deliberating", actor=committee)
    workflow.transition(issue, "handling", actor=committee, decision="清理", level="community")
    workflow.transition(issue, "evaluating", actor=committee, note="已清理")
    db.session.commit()
    return issue


def _balances(people: Any) -> tuple[int, int]:
    return (
        ledger.balance_of(ledger.account_for_household(people["household"])),
        ledger.balance_of(ledger.account_for_volunteer(people["v2"])),
    )


def _payments() -> int:
    return int(db.session.scalar(select(func.count(BonusPayment.id))) or 0)


def test_solved_and_satisfied_issue_pays_each_approved_attendee_once(
    linked: Any, people: Any
) -> None:
    before = _balances(people)
    workflow.evaluate_issue(linked, actor=people["committee"], satisfaction=5, solved=True)
    db.session.commit()
    assert linked.state is IssueState.closed
    after = _balances(people)
    assert (after[0] - before[0], after[1] - before[1]) == (5, 5)
    assert bonus.pay_resolution_bonuses(linked, actor=None, at=linked.closed_at) == []
    assert _payments() == 2
    assert all(result.is_clean for result in run_checks())


def test_sent_back_issue_pays_nothing_until_it_closes(linked: Any, people: Any) -> None:
    before = _balances(people)
    workflow.evaluate_issue(linked, actor=people["committee"], satisfaction=4, solved=False)
    db.session.commit()
    assert linked.state is IssueState.handling
    assert _balances(people) == before and _payments() == 0


def test_rejected_issue_pays_nothing(tree: Any, people: Any, make_event: Any) -> None:
    issue = raise_issue(
        actor=people["committee"], area=tree["grid_a"], title="噪音",
        category=IssueCategory.environment, resident_name="李四", resident_phone="13812345679",
    )  # fmt: skip
    event = make_event(issue_ids=(issue.id,))
    bonus.set_bonus(event, 5, actor=people["organiser"])
    workflow.transition(issue, "rejected", actor=people["committee"], note="不属于社区事务")
    db.session.commit()
    assert _payments() == 0


def test_bonus_needs_a_linked_issue(make_event: Any, people: Any) -> None:
    with pytest.raises(DomainError) as refused:
        bonus.set_bonus(make_event(), 5, actor=people["organiser"])
    assert refused.value.code == "not_linked"


def test_review_page_shows_the_bonus(
    linked: Any, people: Any, make_user: Any, tree: Any, client: Any, sign_in_as: Any
) -> None:
    workflow.evaluate_issue(linked, actor=people["committee"], satisfaction=5, solved=True)
    db.session.commit()
    issue_id = linked.id
    db.session.rollback()
    sign_in_as(people["committee"])
    body = client.get(f"/issues/{issue_id}/review").get_data(as_text=True)
    assert 'id="resolution-bonuses"' in body and "+5" in body and "李娜" in body


def test_closing_and_a_racing_evaluation_pay_once(app: Any, linked: Any, people: Any) -> None:
    issue_id, user_id = linked.id, people["committee"].id
    before = _balances(people)

    def race(i: int) -> str:
        issue = db.session.get(Issue, issue_id)
        actor = db.session.get(User, user_id)
        if i % 2:  # an evaluation that closes the issue
            workflow.evaluate_issue(issue, actor=actor, satisfaction=5, solved=True)
        else:  # a retried payment, as a second closing would make
            assert issue is not None
            bonus.pay_resolution_bonuses(issue, actor=actor, at=dt.datetime.now(dt.UTC))
        db.session.commit()
        return "done"

    results = run_together(app, 6, race)
    assert all(r == "done" or getattr(r, "code", "") == "not_evaluating" for r in results), results
    db.session.expire_all()
    after = _balances(people)
    assert (after[0] - before[0], after[1] - before[1]) == (5, 5)
    assert _payments() == 2
    assert all(result.is_clean for result in run_checks())


def test_nothing_is_paid_for_an_issue_that_is_not_closed(linked: Any) -> None:
    assert bonus.pay_resolution_bonuses(linked, actor=None, at=dt.datetime.now(dt.UTC)) == []
    assert _payments() == 0
