"""Baseline benchmark: the bare /hello route and /healthz (one database round trip).

    python -m bench [--db sqlite|postgresql] [--workers 2] [--clients 8] [--seconds 5]

Prints Markdown rows to paste into BENCHMARKS.md. Scenarios for features live in their
own modules (bench/<feature>.py) and use the same helpers from bench.util.
"""

from __future__ import annotations

import argparse

from bench.util import Result, fresh_database, gunicorn, load, machine_summary


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    print(f"machine: {machine_summary()}")
    print(f"database: {args.db}; gunicorn workers: {args.workers}; clients: {args.clients}")
    print(Result.HEADER)
    with fresh_database(args.db) as url, gunicorn(url, workers=args.workers) as base:
        for path in ("/hello", "/healthz"):
            result = load(
                lambda session, path=path: session.get(base + path, timeout=10),
                name=f"GET {path} ({args.db}, {args.workers}w)",
                clients=args.clients,
                seconds=args.seconds,
            )
            print(result.row(), flush=True)


if __name__ == "__main__":
    main()
