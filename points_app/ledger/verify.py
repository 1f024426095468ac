"""Checks that recompute what the ledger caches and report any difference.

`flask --app points_app ledger verify` runs every registered check. Another feature adds
its own (the store's stock levels, say) with `register_check` at import time of a module
that `create_app` imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, literal, select, union_all

from points_app.extensions import db
from points_app.ledger.models import SYSTEM_KINDS, Account, Transfer, TransferKind


@dataclass
class CheckResult:
    """What one check looked at (counts by name) and the differences it found."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.problems


Check = Callable[[], CheckResult]
_CHECKS: list[Check] = []


def register_check(fn: Check) -> Check:
    """Add a check to `ledger verify` (once); usable as a decorator."""
    if fn not in _CHECKS:
        _CHECKS.append(fn)
    return fn


def registered_checks() -> list[Check]:
    """The checks in the order they run."""
    return list(_CHECKS)


def run_checks() -> list[CheckResult]:
    """Run every check in one snapshot of the database, in a transaction of its own."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        return [check() for check in _CHECKS]
    finally:
        db.session.rollback()


def _computed_balances() -> list[tuple[int, str, int, int]]:
    """(account id, kind, cached balance, balance recomputed from the transfers)."""
    moves = union_all(
        select(Transfer.credit_account_id.label("account_id"), Transfer.amount.label("delta")),
        select(Transfer.debit_account_id.label("account_id"), (-Transfer.amount).label("delta")),
    ).subquery()
    sums = (
        select(moves.c.account_id, func.sum(moves.c.delta).label("total"))
        .group_by(moves.c.account_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Account.id, Account.kind, Account.balance, func.coalesce(sums.c.total, literal(0)))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .order_by(Account.id)
    ).all()
    return [(r[0], str(r[1]), r[2], int(r[3])) for r in rows]


@register_check
def check_balances() -> CheckResult:
    """Every cached balance equals credits minus debits; no user account below zero."""
    result = CheckResult("balances")
    rows = _computed_balances()
    result.counts["accounts"] = len(rows)
    for account_id, kind, cached, computed in rows:
        if cached != computed:
            result.problems.append(
                f"account {account_id} ({kind}): cached balance {cached}, "
                f"transfers give {computed} (difference {cached - computed})"
            )
        if computed < 0 and kind not in SYSTEM_KINDS:
            result.problems.append(f"account {account_id} ({kind}) is below zero: {computed}")
    return result


@register_check
def check_zero_sum() -> CheckResult:
    """Points are only moved, never made or lost: all balances together sum to zero."""
    result = CheckResult("zero sum")
    count, total = db.session.execute(
        select(func.count(Transfer.id), func.coalesce(func.sum(Transfer.amount), 0))
    ).one()
    result.counts["transfers"] = int(count)
    result.counts["points moved"] = int(total)
    balances = db.session.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
    if balances:
        result.problems.append(f"cached balances sum to {balances}, not 0")
    return result


@register_check
def check_reversals() -> CheckResult:
    """A reversal mirrors its original: same amount, accounts swapped, not a reversal itself."""
    result = CheckResult("reversals")
    original = Transfer.__table__.alias("original")
    rows = db.session.execute(
        select(
            Transfer.id,
            Transfer.amount,
            Transfer.debit_account_id,
            Transfer.credit_account_id,
            original.c.amount,
            original.c.debit_account_id,
            original.c.credit_account_id,
            original.c.kind,
        )
        .join(original, original.c.id == Transfer.reverses_id)
        .where(Transfer.kind == TransferKind.reverse)
    ).all()
    result.counts["reversals"] = len(rows)
    for tid, amount, debit, credit, o_amount, o_debit, o_credit, o_kind in rows:
        if (amount, debit, credit) != (o_amount, o_credit, o_debit):
            result.problems.append(f"transfer {tid} does not mirror the transfer it reverses")
        if o_kind == TransferKind.reverse.value:
            result.problems.append(f"transfer {tid} reverses a reversal")
    return result
