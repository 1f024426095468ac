"""Real concurrent clients for the race tests: threads released together at a barrier."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Flask

from points_app.extensions import db


def run_together(app: Flask, n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in n threads, each with its own app context and database connection,
    released at once; return each result, or the exception it raised."""
    # The test's own session must not sit in a (SQLite: write-locking) transaction.
    db.session.close()
    # Open every thread's connection up front, outside any transaction.
    warm = [db.engine.connect() for _ in range(n)]
    for connection in warm:
        connection.close()
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
            except Exception as error:  # noqa: BLE001 - the test inspects it
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def spend_one_point_each(app: Flask, n: int, debit_id: int, credit_id: int) -> Counter[str]:
    """n clients at once each give one point from one account to another, each in its own
    retried transaction; count the outcomes ("ok" or the refusal's code)."""
    from points_app.core.errors import DomainError
    from points_app.ledger import services
    from points_app.ledger.models import Account, TransferKind

    def spend(_i: int) -> str:
        def unit() -> Any:
            debit = db.session.get(Account, debit_id)
            credit = db.session.get(Account, credit_id)
            assert debit is not None and credit is not None
            return services.transfer(
                debit=debit, credit=credit, amount=1, kind=TransferKind.give, actor=None
            )

        try:
            services.run_in_transaction(unit)
        except DomainError as error:
            return error.code
        return "ok"

    return Counter(r if isinstance(r, str) else repr(r) for r in run_together(app, n, spend))
