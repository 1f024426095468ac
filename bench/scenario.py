"""One HTTP scenario against /hello of the same server, measured by wrk, checked in the DB.

A scenario module (bench/checkin_bench.py, bench/store_bench.py) seeds a fresh database
and returns a `Scenario`: the requests to send (each meant to succeed once, with
`expect_status`) and the table that gains one row per success. `main_loop` does the
rest, `--runs` times, each on a fresh database and server:

1. gunicorn (`--workers`) on 127.0.0.1; wrk warms up /hello and the scenario (the
   first `WARMUP_REQUESTS` requests, never sent again);
2. wrk measures `GET /hello` (the baseline), then the scenario, with the same script,
   connections and threads;
3. the table's new rows must equal wrk's successes, plus at most one per connection
   (requests still in flight when wrk stopped at its deadline still commit); every
   response must be the expected one; then `flask ledger verify` must pass.

It prints Markdown rows for BENCHMARKS.md, the ratio to /hello, and the CPU used by
wrk, by the server (gunicorn and PostgreSQL) and by the whole machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import (
    Request,
    WrkResult,
    deal,
    loadavg,
    postgres_server_pid,
    run_wrk,
    wait_until_settled,
)
from bench.loadgen import write_lists as write
from bench.util import (
    Server,
    count_rows,
    database_port,
    flask_cli,
    fresh_database,
    gunicorn,
    machine_summary,
)

WARMUP_REQUESTS = 600
WARMUP_SECONDS = 2.0


@dataclass
class Scenario:
    """What to send, what each success answers, and where it leaves a row."""

    name: str
    requests: list[Request]
    expect_status: int
    table: str


@dataclass
class Outcome:
    """One run: the baseline, the scenario, and the rows the scenario wrote."""

    hello: WrkResult
    result: WrkResult
    rows: int

    @property
    def ratio(self) -> float:
        return self.result.per_second / self.hello.per_second if self.hello.per_second else 0.0

    @property
    def in_flight(self) -> int:
        """Rows written by requests wrk had sent but not seen answered when it stopped."""
        return self.rows - self.result.ok


def server_pids(server: Server, database_url: str) -> list[int]:
    """gunicorn's master (its workers are its children) and our PostgreSQL, if any."""
    pids = [server.pid]
    port = database_port(database_url)
    if port is not None:
        postmaster = postgres_server_pid(port)
        if postmaster is not None:
            pids.append(postmaster)
    return pids


def measure(
    database_url: str,
    server: Server,
    scenario: Scenario,
    *,
    label: str,
    connections: int,
    threads: int,
    seconds: float,
) -> Outcome:
    """Warm up, then measure /hello and the scenario on one server; check the rows."""
    pids = server_pids(server, database_url)
    warm, measured = scenario.requests[:WARMUP_REQUESTS], scenario.requests[WARMUP_REQUESTS:]
    with tempfile.TemporaryDirectory(prefix="points-wrk-") as folder:
        hello_lists = write(Path(folder) / "hello", [[Request("GET", "/hello")]] * threads)
        warm_lists = write(Path(folder) / "warm", deal(warm, threads))
        lists = write(Path(folder) / "scenario", deal(measured, threads))
        common: dict[str, Any] = {
            "connections": connections, "threads": threads, "server_pids": pids,
        }  # fmt: skip
        run_wrk(server, hello_lists, name="warm-up", cycle=True, seconds=WARMUP_SECONDS, **common)
        run_wrk(server, warm_lists, name="warm-up", seconds=WARMUP_SECONDS, **common)
        hello = run_wrk(
            server, hello_lists, name=f"GET /hello ({label})", cycle=True, seconds=seconds,
            **common,
        )  # fmt: skip
        hello.check(expect_status=200)
        before = count_rows(database_url, scenario.table)
        result = run_wrk(
            server, lists, name=f"{scenario.name} ({label})", seconds=seconds, **common
        )
        after = wait_until_settled(lambda: count_rows(database_url, scenario.table))
    result.check(expect_status=scenario.expect_status)
    outcome = Outcome(hello=hello, result=result, rows=after - before)
    if not 0 <= outcome.in_flight <= connections:
        raise RuntimeError(
            f"{scenario.name}: {outcome.rows} new rows in {scenario.table} but wrk saw "
            f"{result.ok} successes (at most {connections} may have been in flight)"
        )
    return outcome


def main_loop(
    *,
    prog: str,
    build: Callable[[str, argparse.Namespace], Scenario],
    goal: float,
    extra: Callable[[argparse.ArgumentParser], Any] | None = None,
    argv: list[str] | None = None,
) -> tuple[argparse.Namespace, list[Outcome]]:
    """Parse the common options, run the scenario `--runs` times, print the report."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    if extra:
        extra(parser)
    args = parser.parse_args(argv)

    print(f"machine: {machine_summary()}")
    print(
        f"database: {args.db}; gunicorn workers: {args.workers}; wrk: {args.threads} threads, "
        f"{args.connections} connections, {args.seconds:.0f} s"
    )
    label = f"{args.db}, {args.workers}w"
    outcomes = []
    for run in range(1, args.runs + 1):
        with fresh_database(args.db) as url:
            scenario = build(url, args)
            with gunicorn(url, workers=args.workers) as server:
                outcome = measure(
                    url, server, scenario, label=label, connections=args.connections,
                    threads=args.threads, seconds=args.seconds,
                )  # fmt: skip
            flask_cli(url, "ledger", "verify")  # raises if any balance or stock is off
        outcomes.append(outcome)
        print(f"\nrun {run} of {args.runs}, load average after: {loadavg()}")
        print(WrkResult.HEADER)
        print(outcome.hello.row())
        print(outcome.result.row())
        print(
            f"ratio {scenario.name} / hello: {outcome.ratio:.3f} (goal >= {goal:.2f}); "
            f"rows written: {outcome.rows} = {outcome.result.ok} answered + "
            f"{outcome.in_flight} in flight at the deadline; ledger verify: clean",
            flush=True,
        )
    ratios = [o.ratio for o in outcomes]
    print(
        f"\nratios: {', '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}"
    )
    return args, outcomes
