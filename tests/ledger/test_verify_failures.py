"""`ledger verify` fails on each broken state it checks for.

Each test writes the broken state straight into the database, behind the services' back
(as a bad migration, a hand edit or a bug would), and asserts that the specific problem
is reported and the command exits non-zero. A check that is weakened makes one of these
fail; tests that only assert "verify is clean" never could.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from points_app.extensions import db
from points_app.ledger import services, verify
from points_app.ledger.models import AccountKind, TransferKind


def _activity(people: dict[str, Any], tree: dict[str, Any], issue: Any) -> dict[str, Any]:
    """Issue 10 to a volunteer, who gives 6 to a household, which spends 2 (reversed)."""
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    issue(volunteer, 10)
    gift = services.transfer(
        debit=volunteer, credit=household, amount=6, kind=TransferKind.give, actor=None
    )
    spend = services.transfer(
        debit=household, credit=sink, amount=2, kind=TransferKind.redeem, actor=None
    )
    reversal = services.reverse(spend, actor=people["committee"], reason="wrong goods")
    db.session.commit()
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    return {
        "volunteer": volunteer, "household": household, "sink": sink, "issuance": issuance,
        "gift": gift, "spend": spend, "reversal": reversal,
    }  # fmt: skip


def _insert_transfer(
    debit: int, credit: int, amount: int, kind: str, reverses: int | None = None
) -> int:
    """Append a transfer row by hand (inserts pass the append-only triggers)."""
    db.session.execute(
        text(
            "INSERT INTO transfers (debit_account_id, credit_account_id, amount, kind, memo, "
            "reverses_id, created_at) VALUES (:d, :c, :a, :k, '', :r, CURRENT_TIMESTAMP)"
        ),
        {"d": debit, "c": credit, "a": amount, "k": kind, "r": reverses},
    )
    new_id = db.session.execute(text("SELECT max(id) FROM transfers")).scalar_one()
    db.session.commit()
    return int(new_id)


def _set_balance(account_id: int, balance: int) -> None:
    db.session.execute(
        text("UPDATE accounts SET balance = :b WHERE id = :id"), {"b": balance, "id": account_id}
    )
    db.session.commit()


def _problems(name: str) -> list[str]:
    (result,) = [r for r in verify.run_checks() if r.name == name]
    return result.problems


def _verify(runner: Any) -> Any:
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1, result.output
    return result


def test_verify_fails_when_a_system_accounts_cached_balance_differs(runner, people, tree, issue):
    a = _activity(people, tree, issue)
    issuance = a["issuance"]
    _set_balance(issuance.id, -7)
    result = _verify(runner)
    line = f"account {issuance.id} (issuance): cached balance -7, transfers give -10"
    assert line in result.output
    assert "difference 3" in result.output
    assert _problems("balances") == [line + " (difference 3)"]


def test_verify_fails_when_a_store_sink_holds_points_no_transfer_explains(
    runner, people, tree, issue
):
    a = _activity(people, tree, issue)
    _set_balance(a["sink"].id, 2)
    result = _verify(runner)
    assert f"account {a['sink'].id} (store_sink): cached balance 2, transfers give 0" in (
        result.output
    )


def test_verify_fails_when_a_household_is_computed_below_zero(runner, people, tree, issue):
    a = _activity(people, tree, issue)
    household, sink = a["household"], a["sink"]
    # A spend of 9 written by hand from a household that holds 6. The cached balance cannot
    # follow it below zero (a CHECK constraint), so it is left at 0 and the sink's is kept
    # in step: both the difference and the below-zero rule are reported.
    _insert_transfer(household.id, sink.id, 9, "redeem")
    _set_balance(household.id, 0)
    _set_balance(sink.id, 9)
    result = _verify(runner)
    assert f"account {household.id} (household) is below zero: -3" in result.output
    assert _problems("balances") == [
        f"account {household.id} (household): cached balance 0, transfers give -3 (difference 3)",
        f"account {household.id} (household) is below zero: -3",
    ]


def test_verify_reports_below_zero_even_when_the_cached_balance_hides_it(
    runner, people, tree, issue
):
    a = _activity(people, tree, issue)
    volunteer, household = a["volunteer"], a["household"]
    # The volunteer (4 left) "gave" 5 more: its cached balance was left at 4.
    _insert_transfer(volunteer.id, household.id, 5, "give")
    _set_balance(household.id, 11)
    problems = _problems("balances")
    assert f"account {volunteer.id} (volunteer) is below zero: -1" in problems
    assert f"account {volunteer.id} (volunteer): cached balance 4, transfers give -1" in (
        " ".join(problems)
    )
    _verify(runner)


def test_verify_lets_system_accounts_be_below_zero_and_users_at_zero(runner, people, tree, issue):
    _activity(people, tree, issue)
    services.account_for_volunteer(people["v2"])  # opened, never paid: 0
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    # The issuance account is at -10: that is how points are made, not a problem.
    assert result.exit_code == 0, result.output
    assert "differences: 0" in result.output


def test_verify_fails_when_a_reversal_reverses_a_reversal(runner, people, tree, issue):
    a = _activity(people, tree, issue)
    household, sink, reversal = a["household"], a["sink"], a["reversal"]
    # The reversal moved 2 from the sink back to the household; "reversing" it mirrors it
    # exactly (so only the reversal-of-a-reversal rule is broken) and keeps balances right.
    bad = _insert_transfer(household.id, sink.id, 2, "reverse", reverses=reversal.id)
    _set_balance(household.id, 4)
    _set_balance(sink.id, 2)
    assert _problems("reversals") == [f"transfer {bad} reverses a reversal"]
    assert _problems("balances") == []
    result = _verify(runner)
    assert f"transfer {bad} reverses a reversal" in result.output
    assert "reversals: reversals 2: 1 difference(s)" in result.output


def test_verify_fails_when_a_reversal_swaps_the_wrong_way(runner, people, tree, issue):
    a = _activity(people, tree, issue)
    volunteer, household, gift = a["volunteer"], a["household"], a["gift"]
    # Same amount, but the accounts are not swapped: it pays the household again.
    bad = _insert_transfer(volunteer.id, household.id, 6, "reverse", reverses=gift.id)
    assert f"transfer {bad} does not mirror the transfer it reverses" in _problems("reversals")


def test_verify_fails_when_a_reversal_moves_another_amount(runner, people, tree, issue):
    a = _activity(people, tree, issue)
    volunteer, household, gift = a["volunteer"], a["household"], a["gift"]
    bad = _insert_transfer(household.id, volunteer.id, 5, "reverse", reverses=gift.id)
    assert _problems("reversals") == [f"transfer {bad} does not mirror the transfer it reverses"]


def test_verify_fails_when_cached_balances_do_not_sum_to_zero(runner, people, tree, issue):
    a = _activity(people, tree, issue)
    _set_balance(a["household"].id, 5)
    assert _problems("zero sum") == ["cached balances sum to -1, not 0"]
    result = _verify(runner)
    assert "cached balances sum to -1, not 0" in result.output


def test_verify_counts_what_it_checked(runner, people, tree, issue):
    _activity(people, tree, issue)
    results = {r.name: r for r in verify.run_checks()}
    assert results["balances"].counts == {"accounts": 4}
    assert results["zero sum"].counts == {"transfers": 4, "points moved": 20}
    assert results["reversals"].counts == {"reversals": 1}
    assert all(r.is_clean for r in results.values())
    result = runner.invoke(args=["ledger", "verify"])
    assert "balances: accounts 4: ok" in result.output
    assert "zero sum: transfers 4, points moved 20: ok" in result.output


def test_a_check_result_is_clean_only_without_problems():
    assert verify.CheckResult("x").is_clean
    assert not verify.CheckResult("x", problems=["one"]).is_clean


def test_a_check_is_registered_once(app):
    def check() -> verify.CheckResult:
        return verify.CheckResult("once")

    before = verify.registered_checks()
    try:
        assert verify.register_check(check) is check
        verify.register_check(check)
        assert verify.registered_checks() == [*before, check]
    finally:
        verify._CHECKS.remove(check)
