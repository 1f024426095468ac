"""Declarative base, column types and database engine set-up."""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from flask import has_request_context, request
from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    TextualSelect,
    bindparam,
    event,
    inspect,
    make_url,
    text,
)
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")
P = ParamSpec("P")


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def prepared(build: Callable[P, T]) -> Callable[P, T]:
    """Build a statement once, on first use, and hand back the same object after that.

    For statements on the hottest paths (every API request, check-in, redemption).
    SQLAlchemy finds a statement's compiled form by a cache key it works out from the
    statement object; building the statement and working out its key again on every call
    costs more than running it on SQLite (about 0.1-0.3 ms a statement). A prepared
    statement takes its values as bind parameters (`bindparam("name")`), given at
    execution: `db.session.execute(query(), {"name": value})`. Arguments, if any, pick
    a variant (a dialect, a lock) and must be hashable.
    """
    return cast(Callable[P, T], functools.cache(build))


@functools.cache
def _insert_statement(model: Any, unique: tuple[str, ...]) -> TextualSelect:
    table: Any = inspect(model).local_table
    columns = [c for c in table.columns if not c.primary_key]
    names = ", ".join(f'"{c.name}"' for c in columns)
    values = ", ".join(f":{c.name}" for c in columns)
    # Written out as text: SQLAlchemy compiles its ON CONFLICT constructs anew on every run.
    # SQLite (3.35+) and PostgreSQL both take this form.
    conflict = f"ON CONFLICT ({', '.join(unique)}) DO NOTHING " if unique else ""
    return (
        text(f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) {conflict}RETURNING id')
        .bindparams(*(bindparam(c.name, type_=c.type) for c in columns))
        .columns(table.c.id)
    )


def insert_unless_taken(obj: Any, *, unique: tuple[str, ...]) -> bool:
    """Insert a new row for `obj` in one statement, unless its `unique` columns are taken.

    Return True and make `obj` a persistent, loaded object of the session (with its new
    id), as a flush would; or return False, leaving `obj` out of the session, when a row
    with the same unique values exists. PostgreSQL first waits for an uncommitted insert
    of the same values, so a False answer means a committed winner the caller can read
    back: no savepoint is needed to survive losing that race. Columns left unset get
    their Python-side default, else NULL; relationships must be given as ids (nothing
    but this one row is written).

    For the hot paths (check-in, redemption, transfer): the ORM's flush costs several
    times the statement (about 0.6 ms against 0.1 ms for one attendance on SQLite).
    """
    from points_app.extensions import db

    mapper = inspect(type(obj))
    params = {}
    for column in mapper.local_table.columns:
        if column.primary_key:
            continue
        key = mapper.get_property_by_column(column).key
        if key not in obj.__dict__:
            default = column.default
            value = None
            if default is not None and default.is_scalar:
                value = default.arg
            elif default is not None and default.is_callable:
                value = default.arg(None)
            elif not column.nullable:
                raise ValueError(f"{type(obj).__name__}.{key} must be set")
            setattr(obj, key, value)
        params[column.name] = obj.__dict__[key]
    statement = _insert_statement(mapper.class_, unique)
    new_id = db.session.connection().execute(statement, params).scalar()
    if new_id is None:
        return False
    obj.id = new_id
    make_transient_to_detached(obj)
    db.session.add(obj)
    return True


def insert_row(obj: Any) -> None:
    """Insert a new row for `obj` in one statement and make it persistent (see
    `insert_unless_taken`, without the unique check)."""
    insert_unless_taken(obj, unique=())


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store datetimes as UTC and always hand back aware datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Typed declarative base with a constraint naming convention for Alembic."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


def _sqlite_begin_mode(conn: Any) -> str:
    """Pick BEGIN IMMEDIATE for units of work that write, DEFERRED for page reads."""
    mode = conn.get_execution_options().get("sqlite_begin")
    if mode:
        return str(mode)
    if has_request_context() and request.method in SAFE_METHODS:
        return "DEFERRED"
    return "IMMEDIATE"


def create_private_sqlite_file(url: str) -> None:
    """Create a missing SQLite database file readable and writable by its owner only (0600).

    SQLite gives its -wal and -shm files the same permissions as the database file.
    """
    path = make_url(url).database if url.startswith("sqlite") else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def configure_engine(engine: Engine) -> None:
    """Set up SQLite for many concurrent writers; PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = _sqlite_begin_mode(conn)
        if mode == "IMMEDIATE":
            _begin_immediate(conn.connection.dbapi_connection)
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")


BUSY_TIMEOUT = 10.0  # seconds a writer waits for another one before giving up


def _begin_immediate(dbapi_conn: Any) -> None:
    """BEGIN IMMEDIATE, tried again every fraction of a millisecond while another writer
    holds the lock, for up to BUSY_TIMEOUT.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms
    between tries, so a waiting writer often sleeps on while the lock is free, and the
    unlucky one queues for a long time (the tail latency of a busy counter).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    nap = 0.0002
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(random.uniform(0.5, 1.5) * nap)
            nap = min(nap * 1.5, 0.002)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")


def begin_write() -> None:
    """Make the current session's transaction a writing one from its first statement.

    On SQLite this means BEGIN IMMEDIATE, so a page that reads and then writes cannot
    lose its snapshot to another writer; on PostgreSQL it changes nothing.
    """
    from points_app.extensions import db

    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
