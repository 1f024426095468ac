"""`flask ledger verify` recomputes balances and reports tampering; `ledger history`."""

from __future__ import annotations

from sqlalchemy import text

from points_app.extensions import db
from points_app.ledger import services, verify
from points_app.ledger.models import AccountKind, TransferKind


def _some_activity(people, tree, issue):
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
    services.reverse(spend, actor=people["committee"], reason="wrong goods")
    assert gift.amount == 6
    db.session.commit()
    return volunteer, household


def test_verify_is_clean_after_normal_activity(runner, people, tree, issue):
    _some_activity(people, tree, issue)
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "Accounts checked: 4; transfers: 4; differences: 0" in result.output


def test_verify_fails_when_a_cached_balance_was_tampered_with(runner, people, tree, issue):
    volunteer, _household = _some_activity(people, tree, issue)
    db.session.execute(
        text("UPDATE accounts SET balance = balance + 5 WHERE id = :id"), {"id": volunteer.id}
    )
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert f"account {volunteer.id} (volunteer): cached balance 9, transfers give 4" in (
        result.output
    )
    assert "cached balances sum to 5, not 0" in result.output
    assert "differences: 2" in result.output


def test_verify_on_an_empty_ledger_is_clean(runner, tree):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0
    assert "differences: 0" in result.output


def test_registered_checks_run_with_verify(runner, tree):
    def stock_check() -> verify.CheckResult:
        return verify.CheckResult("stock", {"products": 3}, ["product 7: stock 2, moves give 1"])

    verify.register_check(stock_check)
    try:
        result = runner.invoke(args=["ledger", "verify"])
    finally:
        verify._CHECKS.remove(stock_check)
    assert result.exit_code == 1
    assert "stock: products 3: 1 difference(s)" in result.output
    assert "product 7: stock 2, moves give 1" in result.output


def test_history_command_lists_transfers_newest_first(runner, people, tree, issue):
    volunteer, _household = _some_activity(people, tree, issue)
    result = runner.invoke(args=["ledger", "history", str(volunteer.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "balance 4" in lines[0]
    assert "give" in lines[1] and "-6" in lines[1]
    assert "issue" in lines[2] and "+10" in lines[2] and "grant" in lines[2]
    assert len(lines) == 3


def test_history_command_for_a_missing_account(runner, tree):
    result = runner.invoke(args=["ledger", "history", "999"])
    assert result.exit_code != 0
    assert "No account 999" in result.output


def test_verify_reports_a_reversal_that_does_not_mirror_its_original(runner, people, tree, issue):
    volunteer, household = _some_activity(people, tree, issue)
    gift_id = db.session.execute(text("SELECT id FROM transfers WHERE kind = 'give'")).scalar_one()
    # Written behind the services' back: reverses the gift, but with a different amount.
    db.session.execute(
        text(
            "INSERT INTO transfers (debit_account_id, credit_account_id, amount, kind, memo, "
            "reverses_id, created_at) VALUES (:h, :v, 1, 'reverse', '', :g, CURRENT_TIMESTAMP)"
        ),
        {"h": household.id, "v": volunteer.id, "g": gift_id},
    )
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "does not mirror the transfer it reverses" in result.output


def test_every_check_reads_one_snapshot_in_a_transaction_of_its_own(app, tree):
    """On PostgreSQL the checks run in one REPEATABLE READ transaction, so transfers
    committed while verify runs cannot make two checks disagree; on SQLite the reads of
    one transaction already see one snapshot."""
    on_postgres = db.session.get_bind().dialect.name == "postgresql"
    seen: list[tuple[str | None, bool]] = []

    def isolation_check() -> verify.CheckResult:
        session = db.session()
        level = session.scalar(text("SHOW transaction_isolation")) if on_postgres else None
        seen.append((level, session.in_transaction()))
        return verify.CheckResult("isolation")

    db.session.execute(text("SELECT 1"))  # a transaction the caller left open
    verify.register_check(isolation_check)
    try:
        results = verify.run_checks()
    finally:
        verify._CHECKS.remove(isolation_check)
    assert results[-1].name == "isolation"
    assert seen == [("repeatable read" if on_postgres else None, True)]
    assert not db.session().in_transaction()  # and it leaves none open
