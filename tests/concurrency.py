"""Real concurrent clients for the race tests: threads released together at a barrier."""

from __future__ import annotations

import threading
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
