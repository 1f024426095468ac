"""Public notice (公示): points earned while a community posts a notice are the
recipient's at once but cannot be spent until the notice ends; time alone releases them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from points_app.core.clock import local_date
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.ledger.pending import PendingCredit, hold_credit, holdings_of
from points_app.ledger.verify import run_checks

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _give(volunteer_account: Any, household_account: Any, amount: int) -> Any:
    transfer = ledger.transfer(
        debit=volunteer_account, credit=household_account, amount=amount,
        kind=TransferKind.give, actor=None,
    )  # fmt: skip
    db.session.commit()
    return transfer


def _five_spendable_seven_on_notice(
    tree: Any, people: Any, now: dt.datetime
) -> tuple[Any, Any, Any]:
    """The volunteer's account (5 points issued, 7 earned and on notice until tomorrow),
    the household's account, and the award of 7."""
    issuance = ledger.system_account(tree["community_a"], AccountKind.issuance)
    account = ledger.account_for_volunteer(people["v"])
    target = ledger.account_for_household(people["household"])
    ledger.transfer(debit=issuance, credit=account, amount=5, kind=TransferKind.issue, actor=None)
    award = ledger.transfer(
        debit=issuance, credit=account, amount=7, kind=TransferKind.earn, actor=None
    )
    hold_credit(award, now + dt.timedelta(days=1))
    db.session.commit()
    return account, target, award


def _clean() -> bool:
    return all(result.is_clean for result in run_checks())


def test_points_earned_under_notice_wait_until_their_date_then_spend(
    make_event: Any, people: Any, serve: Any, notice_days: Any
) -> None:
    notice_days(3)
    with time_machine.travel(START, tick=False):
        event = make_event(
            starts_at=START - dt.timedelta(minutes=5), ends_at=START + dt.timedelta(hours=3)
        )
        serve(event, people["v"], 120, START)
        account = ledger.account_for_volunteer(people["v"])
        target = ledger.account_for_household(people["household"])
        db.session.commit()
        held = holdings_of(account)
        assert (held.balance, held.pending, held.available) == (2, 2, 0)
        with pytest.raises(DomainError) as refused:
            _give(account, target, 1)
        db.session.rollback()
        assert refused.value.code == "insufficient_points"
        assert refused.value.details["spendable_on"] == "2026-03-13"
        assert "2 points become spendable on" in str(refused.value.message)
        assert _clean()

    # The last moment of the notice: still pending. The first moment after: spendable.
    final = dt.datetime(2026, 3, 13, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(final - dt.timedelta(seconds=1), tick=False):
        assert holdings_of(account).available == 0
        with pytest.raises(DomainError):
            _give(account, target, 1)
        db.session.rollback()
    with time_machine.travel(final, tick=False):
        assert holdings_of(account).available == 2
        _give(account, target, 2)
        assert ledger.balance_of(account) == 0
        assert _clean()


def test_community_without_notice_credits_spendable_points_at_once(
    make_event: Any, people: Any, serve: Any, now: dt.datetime
) -> None:
    serve(make_event(), people["v"], 60, now)
    account = ledger.account_for_volunteer(people["v"])
    assert holdings_of(account).available == 1
    assert db.session.scalar(db.select(db.func.count(PendingCredit.id))) == 0


def test_points_for_the_household_wait_in_the_households_account(
    make_event: Any, people: Any, serve: Any, notice_days: Any, now: dt.datetime
) -> None:
    notice_days(2)
    serve(make_event(), people["v"], 60, now, for_household=True)
    held = holdings_of(ledger.account_for_household(people["household"]))
    assert (held.balance, held.pending) == (1, 1)
    assert local_date(held.waiting[0][0]) == local_date(now) + dt.timedelta(days=2)


def test_spending_takes_only_the_available_part(
    tree: dict[str, Any], people: Any, now: dt.datetime
) -> None:
    account, target, award = _five_spendable_seven_on_notice(tree, people, now)
    with pytest.raises(DomainError) as refused:
        _give(account, target, 6)
    db.session.rollback()
    assert refused.value.details["missing"] == 1
    _give(account, target, 5)
    assert holdings_of(account).balance == 7
    assert _clean()


def test_spending_the_whole_balance_while_part_is_on_notice_says_when(
    tree: dict[str, Any], people: Any, now: dt.datetime
) -> None:
    account, target, award = _five_spendable_seven_on_notice(tree, people, now)
    with pytest.raises(DomainError) as refused:
        _give(account, target, 12)  # exactly the balance: enough points, 7 not yet spendable
    db.session.rollback()
    details = refused.value.details
    assert refused.value.code == "insufficient_points"
    assert (details["missing"], details["available"], details["pending"]) == (7, 5, 7)
    assert details["spendable_on"] == local_date(now + dt.timedelta(days=1)).isoformat()


def test_a_pending_award_can_be_reversed_after_the_rest_was_spent(
    tree: dict[str, Any], people: Any, now: dt.datetime
) -> None:
    account, target, award = _five_spendable_seven_on_notice(tree, people, now)
    _give(account, target, 5)
    ledger.reverse(award, actor=None, reason="objection upheld")
    db.session.commit()
    held = holdings_of(account)
    assert (held.balance, held.pending, held.available) == (0, 0, 0)
    assert _clean()


def test_verify_reports_pending_points_that_were_spent(
    tree: dict[str, Any], people: Any, now: dt.datetime
) -> None:
    issuance = ledger.system_account(tree["community_a"], AccountKind.issuance)
    account = ledger.account_for_volunteer(people["v"])
    target = ledger.account_for_household(people["household"])
    award = ledger.transfer(
        debit=issuance, credit=account, amount=4, kind=TransferKind.earn, actor=None
    )
    _give(account, target, 4)  # spent while nothing held it...
    hold_credit(award, utcnow() + dt.timedelta(days=1))  # ...then held: the ledger is wrong
    db.session.commit()
    problems = [p for r in run_checks() if r.name == "pending credits" for p in r.problems]
    assert problems and "pending points were spent" in problems[0]


def test_ledger_verify_command_checks_pending_credits(
    tree: dict[str, Any], people: Any, runner: Any, now: dt.datetime
) -> None:
    issuance = ledger.system_account(tree["community_a"], AccountKind.issuance)
    account = ledger.account_for_volunteer(people["v"])
    award = ledger.transfer(
        debit=issuance, credit=account, amount=4, kind=TransferKind.earn, actor=None
    )
    hold_credit(award, now + dt.timedelta(days=1))
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "pending credits: pending credits 1, points pending 4: ok" in result.output
