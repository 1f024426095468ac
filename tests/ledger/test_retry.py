"""run_in_transaction retries the whole unit on serialization failures and deadlocks."""

from __future__ import annotations

import psycopg.errors
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind


def _failure(kind: type[Exception]) -> DBAPIError:
    return OperationalError("COMMIT", None, kind("could not serialize access"))


@pytest.mark.parametrize(
    "error", [psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected]
)
def test_retried_unit_takes_effect_exactly_once(people, tree, error):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer_id = services.account_for_volunteer(people["v1"]).id
    db.session.commit()
    calls, sleeps = [], []

    def unit() -> int:
        calls.append(1)
        account = db.session.get(Account, volunteer_id)
        assert account is not None
        record = services.transfer(
            debit=issuance, credit=account, amount=3, kind=TransferKind.earn, actor=None
        )
        if len(calls) <= 2:  # the database gives up on the first two attempts
            raise _failure(error)
        return record.id

    transfer_id = services.run_in_transaction(unit, sleep=sleeps.append)
    assert len(calls) == 3 and len(sleeps) == 2
    assert all(0 < s < 1 for s in sleeps)
    assert db.session.scalar(select(func.count(Transfer.id))) == 1
    assert db.session.get(Transfer, transfer_id) is not None
    assert services.balance_of(db.session.get(Account, volunteer_id)) == 3


def test_gives_up_after_five_attempts(tree):
    calls = []

    def unit() -> None:
        calls.append(1)
        raise _failure(psycopg.errors.SerializationFailure)

    with pytest.raises(OperationalError):
        services.run_in_transaction(unit, sleep=lambda _s: None)
    assert len(calls) == 5


def test_the_waits_between_attempts_double_from_5_ms_up_to_200_ms_with_jitter(tree, monkeypatch):
    from points_app.ledger import transactions

    factors: list[tuple[float, float]] = []

    def lowest(low: float, high: float) -> float:
        factors.append((low, high))
        return low

    monkeypatch.setattr(transactions.random, "uniform", lowest)
    sleeps: list[float] = []

    def unit() -> None:
        raise _failure(psycopg.errors.SerializationFailure)

    with pytest.raises(OperationalError):
        services.run_in_transaction(unit, attempts=8, sleep=sleeps.append)
    # The shortest waits the jitter allows: half of 5, 10, 20 … ms, then of the 200 ms cap.
    assert sleeps == pytest.approx([0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.1])
    assert factors == [(0.5, 1.5)] * 7


class _Psycopg2Error(Exception):
    """The shape of a psycopg2 error: its SQLSTATE as `pgcode`, no `sqlstate`."""

    def __init__(self, pgcode: str) -> None:
        super().__init__("could not serialize access")
        self.pgcode = pgcode


def test_only_a_serialization_failure_or_a_deadlock_is_worth_retrying():
    import sqlite3

    def wrapped(orig: BaseException) -> DBAPIError:
        return OperationalError("COMMIT", None, orig)

    assert services.is_retryable(_failure(psycopg.errors.SerializationFailure))
    assert services.is_retryable(_failure(psycopg.errors.DeadlockDetected))
    assert services.is_retryable(wrapped(_Psycopg2Error("40001")))
    assert services.is_retryable(wrapped(_Psycopg2Error("40P01")))
    assert not services.is_retryable(wrapped(_Psycopg2Error("23505")))
    assert not services.is_retryable(wrapped(psycopg.errors.UniqueViolation("dup")))
    # SQLite's errors carry no SQLSTATE; an error that wraps nothing has no code at all.
    assert not services.is_retryable(wrapped(sqlite3.OperationalError("database is locked")))
    assert not services.is_retryable(ValueError("not a database error"))


def test_other_errors_are_not_retried(tree):
    calls = []

    def unit() -> None:
        calls.append(1)
        raise IntegrityError("INSERT", None, psycopg.errors.UniqueViolation("dup"))

    with pytest.raises(IntegrityError):
        services.run_in_transaction(unit, sleep=lambda _s: None)
    assert len(calls) == 1


def test_domain_errors_roll_back_and_are_raised(people, tree):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    db.session.commit()

    def unit() -> Transfer:
        return services.transfer(
            debit=volunteer, credit=household, amount=1, kind=TransferKind.give, actor=None
        )

    with pytest.raises(DomainError):
        services.run_in_transaction(unit)
    assert db.session.scalar(select(func.count(Transfer.id))) == 0


def test_idempotency_race_lost_at_insert_returns_the_winner(people, tree, monkeypatch):
    """Two requests with one key both passed the look-up; the second insert hits the
    unique key, its savepoint is undone and it answers with the first transfer."""
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    kwargs = dict(
        debit=issuance, credit=volunteer, amount=4, kind=TransferKind.issue,
        actor=people["committee"], idempotency_key="race",
    )  # fmt: skip
    first = services.transfer(**kwargs)
    db.session.commit()

    real_find = services._find_by_key
    looked_up = []

    def find_after_a_miss(*args):
        looked_up.append(args)
        return None if len(looked_up) == 1 else real_find(*args)

    monkeypatch.setattr(services, "_find_by_key", find_after_a_miss)
    again = services.transfer(**kwargs)
    assert len(looked_up) == 2  # missed before the insert, found after it failed
    assert (volunteer.balance, issuance.balance) == (4, -4)  # the undone move left no trace
    db.session.commit()
    assert again.id == first.id
    assert services.balance_of(volunteer) == 4
    assert services.balance_of(issuance) == -4
    assert db.session.scalar(select(func.count(Transfer.id))) == 1


def test_a_reversal_that_lost_the_race_is_refused_and_leaves_both_balances(
    people, tree, monkeypatch
):
    """Two reversals of one transfer both passed the check; the second insert hits the
    unique `reverses_id`, its savepoint undoes its move, and it is refused."""
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    services.transfer(
        debit=issuance, credit=volunteer, amount=20, kind=TransferKind.issue, actor=None
    )
    gifts = [
        services.transfer(
            debit=volunteer, credit=household, amount=6, kind=TransferKind.give, actor=None
        )
        for _ in range(2)
    ]
    services.reverse(gifts[0], actor=None, reason="wrong household")
    db.session.commit()
    count = db.session.scalar(select(func.count(Transfer.id)))

    real_refuse = services._refuse_if_reversed
    checks = iter([lambda original: None])
    monkeypatch.setattr(
        services, "_refuse_if_reversed", lambda original: next(checks, real_refuse)(original)
    )
    with pytest.raises(DomainError) as refused:
        services.reverse(gifts[0], actor=None, reason="again")
    assert refused.value.code == "already_reversed"
    # The objects read the balances again: the undone move left no trace on them.
    assert (volunteer.balance, household.balance) == (14, 6)
    db.session.rollback()
    assert (services.balance_of(volunteer), services.balance_of(household)) == (14, 6)
    assert db.session.scalar(select(func.count(Transfer.id))) == count


def test_an_account_opened_by_someone_else_at_the_same_moment_is_theirs(people, monkeypatch):
    """Both looked the account up and found none; the second insert hits the unique owner
    and answers with the account the first one opened."""
    existing = services.account_for_volunteer(people["v1"])
    db.session.commit()
    real_scalars = db.session.scalars
    misses = iter([type("Nothing", (), {"first": lambda self: None})()])
    monkeypatch.setattr(
        db.session, "scalars", lambda *a, **k: next(misses, None) or real_scalars(*a, **k)
    )
    assert services.account_for_volunteer(people["v1"]).id == existing.id
    assert next(misses, "used") == "used"
    monkeypatch.undo()
    db.session.commit()
    count = select(func.count(Account.id)).where(Account.volunteer_id == people["v1"].id)
    assert db.session.scalar(count) == 1
