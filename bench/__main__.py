"""Baseline benchmark: the bare /hello route and /healthz (one database round trip).

    python -m bench [--db sqlite|postgresql] [--workers 4] [--connections 32] [--seconds 10]

Both driven by wrk (bench/requests.lua). Prints Markdown rows to paste into
BENCHMARKS.md. Scenarios for features live in their own modules (bench/<feature>.py)
and use bench.scenario, which measures /hello of the same server in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.loadgen import Request, WrkResult, run_wrk, write_lists
from bench.scenario import server_pids
from bench.util import fresh_database, gunicorn, machine_summary


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    print(f"machine: {machine_summary()}")
    print(f"database: {args.db}; gunicorn workers: {args.workers}; connections: {args.connections}")
    print(WrkResult.HEADER)
    with (
        fresh_database(args.db) as url,
        gunicorn(url, workers=args.workers) as server,
        tempfile.TemporaryDirectory(prefix="points-wrk-") as folder,
    ):
        for path in ("/hello", "/healthz"):
            lists = write_lists(
                Path(folder) / path.strip("/"), [[Request("GET", path)]] * args.threads
            )
            result = run_wrk(
                server,
                lists,
                name=f"GET {path} ({args.db}, {args.workers}w)",
                connections=args.connections,
                threads=args.threads,
                seconds=args.seconds,
                cycle=True,
                server_pids=server_pids(server, url),
            )
            result.check(expect_status=200)
            print(result.row(), flush=True)


if __name__ == "__main__":
    main()
