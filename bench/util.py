"""Start the app under gunicorn on loopback and measure it with concurrent clients.

    from bench.util import fresh_database, gunicorn, load

    with fresh_database("sqlite") as url, gunicorn(url, workers=2) as base:
        result = load(lambda s: s.get(base + "/hello"), name="hello", clients=8, seconds=5)
    print(result.row())

Every server binds 127.0.0.1 only, and every load run is bounded in both time and
request count, so nothing here can run away or leave the machine.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 1,
    port: int | None = None,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
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
            yield base
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


@dataclass
class Result:
    """What one load run measured."""

    name: str
    clients: int
    seconds: float
    latencies: list[float] = field(repr=False)
    errors: int
    statuses: dict[int, int]

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile p (0-100), in milliseconds."""
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[min(98, max(0, round(p) - 1))] * 1000

    def row(self) -> str:
        """A Markdown table row: name | clients | requests | req/s | p50 | p95 | p99 | errors."""
        return (
            f"| {self.name} | {self.clients} | {self.requests} | {self.per_second:.0f} "
            f"| {self.percentile(50):.1f} | {self.percentile(95):.1f} "
            f"| {self.percentile(99):.1f} | {self.errors} |"
        )

    HEADER = (
        "| scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )


def load(
    call: Callable[..., requests.Response],
    *,
    name: str = "load",
    clients: int = 8,
    seconds: float = 5.0,
    max_requests: int = 100_000,
    setup: Callable[[requests.Session, int], Any] | None = None,
    ok: Callable[[requests.Response], bool] = lambda r: r.status_code < 400,
    warmup: float = 0.5,
) -> Result:
    """Run `call(session)` (or `call(session, state)`) from `clients` threads.

    Each client thread has its own requests.Session, prepared once by
    `setup(session, index)` (e.g. to sign in); what setup returns is passed to `call`
    as its second argument. The run stops after `seconds` or `max_requests`, whichever
    comes first. A request that raises or fails `ok` counts as an error, not a latency.
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    budget = threading.Semaphore(max_requests)
    ready = threading.Barrier(clients + 1)
    measuring = threading.Event()
    stop = threading.Event()

    def client(index: int) -> None:
        session = requests.Session()
        state = setup(session, index) if setup else None

        def once() -> requests.Response:
            return call(session, state) if setup else call(session)

        ready.wait()
        while not measuring.is_set():  # warm-up: connections, caches, lazy imports
            with contextlib.suppress(requests.RequestException):
                once()
        while not stop.is_set() and budget.acquire(blocking=False):
            began = time.perf_counter()
            try:
                response = once()
            except requests.RequestException:
                errors[index] += 1
                continue
            elapsed = time.perf_counter() - began
            statuses[index][response.status_code] = statuses[index].get(response.status_code, 0) + 1
            if ok(response):
                latencies[index].append(elapsed)
            else:
                errors[index] += 1
        session.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    time.sleep(warmup)
    began = time.monotonic()
    measuring.set()
    deadline = began + seconds
    while time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - began

    merged: dict[int, int] = {}
    for per_client in statuses:
        for status, count in per_client.items():
            merged[status] = merged.get(status, 0) + count
    return Result(
        name=name,
        clients=clients,
        seconds=elapsed,
        latencies=[x for per_client in latencies for x in per_client],
        errors=sum(errors),
        statuses=merged,
    )


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
