"""Reading the database from a browser test while the live server writes to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.people.models import Household

T = TypeVar("T")


def read_fresh(fn: Callable[[], T]) -> T:
    """Run a read in its own short transaction: an open one would block SQLite writers,
    and a stale one would not see what the server wrote."""
    db.session.expire_all()
    try:
        return fn()
    finally:
        db.session.rollback()


def household_balance(household_id: int) -> int:
    """A household's balance as the database has it now (call inside `read_fresh`)."""
    household = db.session.get(Household, household_id)
    assert household is not None
    return ledger.balance_of(ledger.account_for_household(household))
