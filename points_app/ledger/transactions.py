"""The edge of a unit of work that moves points: commit, or roll back and retry the
whole unit when PostgreSQL gives up on it (serialization failure, deadlock)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from points_app.extensions import db

T = TypeVar("T")

# PostgreSQL: serialization_failure, deadlock_detected. Retrying the whole unit is safe.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_retryable(error: BaseException) -> bool:
    """Return True for a PostgreSQL serialization failure or deadlock."""
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES


def run_in_transaction(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `fn` and commit; on a serialization failure or deadlock, roll back and run it again.

    `fn` is the whole unit of work: it must load what it needs itself, since a retry
    starts from a clean session. Any other error rolls back and is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = fn()
            db.session.commit()
            return result
        except DBAPIError as error:
            db.session.rollback()
            if attempt >= attempts or not is_retryable(error):
                raise
            # Jittered exponential backoff: 5 ms, 10 ms, 20 ms… times a random factor.
            sleep(min(0.005 * 2 ** (attempt - 1), 0.2) * random.uniform(0.5, 1.5))
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover
