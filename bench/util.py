"""Fresh databases and the app under gunicorn on loopback, for the benchmarks.

    from bench.util import fresh_database, gunicorn

    with fresh_database("sqlite") as url, gunicorn(url, workers=4) as server:
        ...  # drive `server` (its base URL) with bench.loadgen's wrk runs

Every server binds 127.0.0.1 only, and every load run (bench.loadgen) is bounded in
both time and request count, so nothing here can run away or leave the machine.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests

from points_app.core.crypto import DEVELOPMENT_KEY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for running the app in production mode against a database."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        POINTS_ENV="production",
        SECRET_KEY="bench-only-secret",
        DATABASE_URL=database_url,
        SESSION_COOKIE_SECURE="0",  # plain http on loopback
        # The demo data and in-process benchmark apps use the development key: the same here.
        POINTS_DATA_KEY=DEVELOPMENT_KEY,
    )
    env.update(extra)
    return env


def flask_cli(
    database_url: str, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> str:
    """Run `flask --app points_app ARGS` against the database; return its output.

    Production mode unless env says otherwise: seed demo data with
    `flask_cli(url, "demo", env={"POINTS_ENV": "development"})`.
    """
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "points_app", *args],
        cwd=ROOT,
        env=app_env(database_url, **(env or {})),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def fresh_database(kind: str = "sqlite", *, migrate: bool = True) -> Iterator[str]:
    """Yield the URL of an empty database, upgraded to the newest migration.

    kind "sqlite": a file in a temporary folder. kind "postgresql": a new database on
    the server named by BENCH_POSTGRES_URL or TEST_DATABASE_URL (dropped afterwards);
    run under `.ci/with-postgres` to get a throwaway server.
    """
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="points-bench-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            if migrate:
                flask_cli(url, "db", "upgrade")
            yield url
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")

    import psycopg

    server = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL")
    if not server:
        raise RuntimeError("set BENCH_POSTGRES_URL, or run under .ci/with-postgres")
    server = server.replace("postgresql+psycopg://", "postgresql://")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _old = server.rpartition("/")
    url = f"{base}/{name}"
    try:
        if migrate:
            flask_cli(url, "db", "upgrade")
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server(str):
    """A running server's base URL (it is the string) and its master process id."""

    pid: int

    def __new__(cls, base: str, pid: int) -> Server:
        server = super().__new__(cls, base)
        server.pid = pid
        return server


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 1,
    port: int | None = None,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Serve the app with gunicorn on 127.0.0.1; yield its base URL; stop it on exit."""
    port = port or free_port()
    base = f"http://{HOST}:{port}"
    command = [
        str(BIN / "gunicorn"),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "points_app:create_app()",
    ]
    with (
        tempfile.TemporaryDirectory(prefix="points-gunicorn-") as folder,
        open(Path(folder) / "gunicorn.log", "wb") as log,
    ):
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=app_env(database_url, **(env or {})),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(base, process, timeout, Path(log.name))
            yield Server(base, process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout}s:\n{log.read_text()}")


def count_rows(database_url: str, table: str, where: str = "") -> int:
    """How many rows a table holds (optionally `WHERE …`), read on a connection of its own."""
    import sqlalchemy

    from points_app.config import normalise_database_url

    engine = sqlalchemy.create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
            return int(conn.exec_driver_sql(sql).scalar_one())
    finally:
        engine.dispose()


def database_port(database_url: str) -> int | None:
    """The TCP port of a PostgreSQL URL (None for SQLite)."""
    if not database_url.startswith("postgresql"):
        return None
    from sqlalchemy.engine import make_url

    return make_url(database_url).port or 5432


def machine_summary() -> str:
    """One line on the machine: cores, memory, CPU, Python, SQLite."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return (
        f"{os.cpu_count()} cores{memory}, {cpu}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
