"""SQLite is set up for many concurrent writers: WAL, foreign keys, waiting writers.

A unit of work that writes starts with BEGIN IMMEDIATE, so a second writer waits for
the first (busy_timeout) instead of failing with "database is locked" when it tries to
upgrade a read snapshot that has gone stale. Page reads (GET) begin DEFERRED so that
they never queue behind writers.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from points_app.extensions import db
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite set-up only")


@contextmanager
def traced_sql() -> Iterator[list[str]]:
    """Collect every statement SQLite itself runs on new connections."""
    statements: list[str] = []

    def _trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(statements.append)

    db.engine.dispose()
    event.listen(db.engine, "connect", _trace)
    try:
        yield statements
    finally:
        event.remove(db.engine, "connect", _trace)
        db.session.remove()
        db.engine.dispose()


def _begins(statements: list[str]) -> list[str]:
    return [s.strip().upper() for s in statements if s.strip().upper().startswith("BEGIN")]


def test_connection_uses_wal_foreign_keys_and_a_busy_timeout(app: Flask):
    pragma = {
        name: db.session.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    }
    assert pragma["journal_mode"] == "wal"
    assert pragma["foreign_keys"] == 1
    assert pragma["busy_timeout"] >= 5000
    assert pragma["synchronous"] == 1  # NORMAL: safe with WAL, far fewer fsyncs


def test_foreign_keys_are_enforced(app: Flask):
    db.session.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
    db.session.execute(
        text("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))")
    )
    db.session.commit()
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.session.execute(text("INSERT INTO child (parent_id) VALUES (42)"))
        db.session.commit()
    db.session.rollback()


def test_get_request_begins_deferred_and_post_begins_immediate(app: Flask):
    client = app.test_client()
    with traced_sql() as statements:
        assert client.get("/healthz").status_code == 200
    assert _begins(statements) == ["BEGIN DEFERRED"]

    with traced_sql() as statements:
        client.post("/login", data={"login": "nobody", "password": "wrong-password"})
    assert _begins(statements)
    assert set(_begins(statements)) == {"BEGIN IMMEDIATE"}


def test_work_outside_a_request_begins_immediate(app: Flask):
    with traced_sql() as statements, db.engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    assert _begins(statements) == ["BEGIN IMMEDIATE"]


def _scratch_table() -> None:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))


def test_second_writer_waits_for_the_first_instead_of_failing(app: Flask):
    _scratch_table()
    first_has_written = threading.Event()
    errors: list[BaseException] = []
    waited: list[float] = []
    hold = 0.5
    engine = db.engine

    def first() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO scratch (n) VALUES (1)"))
                first_has_written.set()
                time.sleep(hold)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            first_has_written.set()

    def second() -> None:
        first_has_written.wait(5)
        started = time.monotonic()
        try:
            # Read, then write from what was read: the pattern of every balance check.
            with engine.begin() as conn:
                count = conn.execute(text("SELECT count(*) FROM scratch")).scalar_one()
                conn.execute(text("INSERT INTO scratch (n) VALUES (:n)"), {"n": count + 1})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert errors == []
    assert waited[0] >= hold * 0.6, "the second writer should have waited for the first"
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT n FROM scratch ORDER BY id")).scalars().all()
    assert rows == [1, 2], "the second writer must have read the first one's row"


def test_deferred_writer_would_fail_which_is_why_writes_begin_immediate(app: Flask):
    # The failure BEGIN IMMEDIATE avoids: a DEFERRED transaction reads, another writer
    # commits, and the first one's write is refused at once, busy_timeout or not.
    _scratch_table()
    has_read = threading.Event()
    other_committed = threading.Event()
    outcome: list[BaseException | None] = []
    engine = db.engine

    def deferred_reader_then_writer() -> None:
        try:
            deferred = engine.connect().execution_options(sqlite_begin="DEFERRED")
            with deferred as conn, conn.begin():
                conn.execute(text("SELECT count(*) FROM scratch")).scalar_one()
                has_read.set()
                other_committed.wait(5)
                conn.execute(text("INSERT INTO scratch (n) VALUES (2)"))
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=deferred_reader_then_writer)
    thread.start()
    has_read.wait(5)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO scratch (n) VALUES (1)"))
    other_committed.set()
    thread.join(15)

    assert len(outcome) == 1
    assert isinstance(outcome[0], OperationalError)
    assert "locked" in str(outcome[0]) or "busy" in str(outcome[0]).lower()


class _BusyConnection:
    """A DB-API connection whose BEGIN IMMEDIATE finds the lock taken `busy` times."""

    def __init__(self, busy: int):
        self.busy = busy
        self.statements: list[str] = []

    def execute(self, sql: str) -> None:
        self.statements.append(sql)
        if sql == "BEGIN IMMEDIATE" and self.busy:
            self.busy -= 1
            raise sqlite3.OperationalError("database is locked")


def test_a_waiting_writer_tries_again_within_milliseconds_and_restores_the_busy_timeout(
    monkeypatch: pytest.MonkeyPatch,
):
    from points_app.core import db as core_db

    naps: list[float] = []
    monkeypatch.setattr(core_db.time, "sleep", naps.append)
    conn = _BusyConnection(busy=20)
    core_db._begin_immediate(conn)
    assert conn.statements.count("BEGIN IMMEDIATE") == 21
    # SQLite's own handler would be sleeping 25-100 ms a try by now.
    assert len(naps) == 20 and max(naps) <= 0.003
    assert conn.statements[0] == "PRAGMA busy_timeout=0"
    assert conn.statements[-1] == f"PRAGMA busy_timeout={int(core_db.BUSY_TIMEOUT * 1000)}"


def test_a_writer_gives_up_after_the_busy_timeout(monkeypatch: pytest.MonkeyPatch):
    from points_app.core import db as core_db

    clock = iter(range(0, 1000))
    monkeypatch.setattr(core_db.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(core_db.time, "sleep", lambda _s: None)
    conn = _BusyConnection(busy=10**6)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        core_db._begin_immediate(conn)
    assert conn.statements[-1].startswith("PRAGMA busy_timeout=")
