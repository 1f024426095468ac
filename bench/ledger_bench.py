"""Ledger throughput and balance reads, in process (the services, not HTTP).

    python -m bench.ledger_bench [--db sqlite|postgresql|both] [--seconds 5]
                                 [--threads 1,4,16] [--big 1000000]

1. Transfers per second with 1, 4 and 16 writer threads, each thread with its own app
   context and database connection, each transfer its own transaction through
   `run_in_transaction`:
   - "give": 1 point from a random one of 64 volunteers to a random one of 64
     households (little contention on rows);
   - "earn": 1 point from the community's single issuance account to a random
     volunteer (every writer locks the same hot row, as attendance approvals do).
2. `balance_of` (a read of the cached balance) at 10k and at 1M transfers on one
   account, the transfers written in bulk (executemany / COPY), not through the service,
   then `history` page 1 and the full recompute that `ledger verify` does.

The database is a fresh one upgraded to the newest migration (bench.util), so this
also runs against the migration-built schema with its triggers. `--db postgresql`
needs `.ci/with-postgres` (or BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.util import fresh_database, machine_summary

ACCOUNTS = 64
ROW = "| {name} | {threads} | {count} | {rate:.0f} | {p50:.1f} | {p95:.1f} | {refused} |"
HEADER = (
    "| scenario | threads | transfers | transfers/s | p50 ms | p95 ms | refused |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def make_app(url: str) -> Any:
    from points_app import create_app
    from points_app.config import normalise_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 24, "max_overflow": 0},
            "SECRET_KEY": "bench-only-secret",
            "DEMO_MODE": False,
        }
    )


def seed(app: Any) -> dict[str, Any]:
    """One community, 64 volunteers holding plenty, 64 households; return account ids."""
    from points_app.areas.models import AreaLevel
    from points_app.areas.services import create_area
    from points_app.extensions import db
    from points_app.ledger import services
    from points_app.ledger.models import AccountKind, TransferKind
    from points_app.people.models import Household, HouseholdCategory, Volunteer

    with app.app_context():
        county = create_area(name="县", code="B", level=AreaLevel.county, parent=None, actor=None)
        street = create_area(
            name="街道", code="B-s", level=AreaLevel.street, parent=county, actor=None
        )
        community = create_area(
            name="社区", code="B-c", level=AreaLevel.community, parent=street, actor=None
        )
        people = [
            Volunteer(real_name=f"志愿者{i}", phone=f"139{i:08d}", home_community=community)
            for i in range(ACCOUNTS)
        ]
        homes = [
            Household(
                public_no=f"B-H{i:03d}", head_name="户主", address="地址", community=community,
                category=HouseholdCategory.other,
            )
            for i in range(ACCOUNTS)
        ]  # fmt: skip
        db.session.add_all(people + homes)
        db.session.flush()
        issuance = services.system_account(community, AccountKind.issuance)
        volunteers = [services.account_for_volunteer(v) for v in people]
        households = [services.account_for_household(h) for h in homes]
        for account in volunteers:
            services.transfer(
                debit=issuance, credit=account, amount=1_000_000, kind=TransferKind.issue,
                actor=None,
            )  # fmt: skip
        db.session.commit()
        return {
            "community": community.id,
            "issuance": issuance.id,
            "volunteers": [a.id for a in volunteers],
            "households": [a.id for a in households],
        }


def run_writers(
    app: Any, threads: int, seconds: float, pick: Callable[[random.Random], tuple[int, int, Any]]
) -> tuple[list[float], int]:
    """Each thread transfers 1 point per transaction for `seconds`; return latencies, refusals."""
    from points_app.core.errors import DomainError
    from points_app.extensions import db
    from points_app.ledger import services
    from points_app.ledger.models import Account

    latencies: list[list[float]] = [[] for _ in range(threads)]
    refused = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def writer(index: int) -> None:
        rng = random.Random(index)
        with app.app_context():
            db.session.connection()
            db.session.rollback()
            start.wait()
            while not stop.is_set():
                debit_id, credit_id, kind = pick(rng)

                def unit(
                    debit_id: int = debit_id, credit_id: int = credit_id, kind: Any = kind
                ) -> Any:
                    debit = db.session.get(Account, debit_id)
                    credit = db.session.get(Account, credit_id)
                    assert debit is not None and credit is not None
                    return services.transfer(
                        debit=debit, credit=credit, amount=1, kind=kind, actor=None
                    )

                began = time.perf_counter()
                try:
                    services.run_in_transaction(unit)
                except DomainError:
                    refused[index] += 1
                    continue
                latencies[index].append(time.perf_counter() - began)
            db.session.remove()

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(60)
    return [x for part in latencies for x in part], sum(refused)


def row(name: str, threads: int, seconds: float, latencies: list[float], refused: int) -> str:
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return ROW.format(
        name=name, threads=threads, count=len(latencies), rate=len(latencies) / seconds,
        p50=cuts[49] * 1000, p95=cuts[94] * 1000, refused=refused,
    )  # fmt: skip


def bulk_transfers(app: Any, debit: int, credit: int, count: int, start_id: int) -> None:
    """Write `count` 1-point transfers debit -> credit directly, and fix the cached balances."""
    from sqlalchemy import text

    from points_app.extensions import db

    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            now = "2026-01-01 00:00:00+00:00"
            columns = "(id, debit_account_id, credit_account_id, amount, kind, memo, created_at)"
            if db.engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY transfers {columns} FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for i in range(start_id, start_id + count):
                        copy.write_row((i, debit, credit, 1, "adjust", "bulk", now))
                cursor.execute("SELECT setval('transfers_id_seq', (SELECT max(id) FROM transfers))")
            else:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.executemany(
                    f"INSERT INTO transfers {columns} VALUES (?, ?, ?, 1, 'adjust', 'bulk', ?)",
                    ((i, debit, credit, now[:19]) for i in range(start_id, start_id + count)),
                )
            connection.commit()
        finally:
            connection.close()
        db.session.execute(
            text("UPDATE accounts SET balance = balance - :n WHERE id = :id"),
            {"n": count, "id": debit},
        )
        db.session.execute(
            text("UPDATE accounts SET balance = balance + :n WHERE id = :id"),
            {"n": count, "id": credit},
        )
        db.session.commit()


def time_reads(app: Any, account_id: int, label: str) -> list[str]:
    """Median time of balance_of and history page 1, and one full recompute."""
    from sqlalchemy import func, select

    from points_app.extensions import db
    from points_app.ledger import services
    from points_app.ledger.models import Account, Transfer
    from points_app.ledger.verify import check_balances

    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account is not None
        total = db.session.scalar(select(func.count(Transfer.id)))
        rows = []
        for name, call, repeat in (
            ("balance_of", lambda: services.balance_of(account), 2000),
            ("history page 1", lambda: services.history(account, 1, 30), 200),
            ("verify: recompute every balance", check_balances, 1),
        ):
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                call()
                times.append(time.perf_counter() - began)
                db.session.rollback()
            rows.append(
                f"| {name} ({label}) | {total} | {statistics.median(times) * 1000:.3f} | {repeat} |"
            )
        return rows


def bench_database(kind: str, seconds: float, thread_counts: list[int], big: int) -> None:
    from points_app.extensions import db
    from points_app.ledger.models import TransferKind

    print(f"\n### {kind}\n")
    with fresh_database(kind) as url:
        app = make_app(url)
        ids = seed(app)
        vols, homes, issuance = ids["volunteers"], ids["households"], ids["issuance"]

        def give(rng: random.Random) -> tuple[int, int, Any]:
            return rng.choice(vols), rng.choice(homes), TransferKind.give

        def earn(rng: random.Random) -> tuple[int, int, Any]:
            return issuance, rng.choice(vols), TransferKind.earn

        print(HEADER)
        for name, pick in (("give, random accounts", give), ("earn, one issuance account", earn)):
            for threads in thread_counts:
                latencies, refused = run_writers(app, threads, seconds, pick)
                print(row(f"{name} ({kind})", threads, seconds, latencies, refused), flush=True)

        # Reads at 10k and at `big` transfers on one account (bulk-written, not via the service).
        with app.app_context():
            from sqlalchemy import func, select

            from points_app.ledger.models import Transfer

            next_id = (db.session.scalar(select(func.max(Transfer.id))) or 0) + 1
        reader = vols[0]
        print(
            "\n| read | transfers in the ledger | median ms | calls |\n| --- | ---: | ---: | ---: |"
        )
        done = 0
        for target in (10_000, big):
            began = time.perf_counter()
            bulk_transfers(app, issuance, reader, target - done, next_id + done)
            print(
                f"<!-- bulk insert of {target - done} rows: {time.perf_counter() - began:.1f} s -->"
            )
            done = target
            for line in time_reads(app, reader, f"{target:,} on the account"):
                print(line, flush=True)
        with app.app_context():
            from points_app.ledger.verify import run_checks

            problems = [p for r in run_checks() for p in r.problems]
            print(f"<!-- ledger verify after the run: {len(problems)} differences -->")
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger_bench", description=__doc__.split("\n")[0]
    )
    have_pg = bool(os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql", "both"), default="both" if have_pg else "sqlite"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", default="1,4,16")
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {machine_summary()}")
    print(f"load average before: {os.getloadavg()}")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    threads = [int(n) for n in args.threads.split(",")]
    for kind in kinds:
        bench_database(kind, args.seconds, threads, args.big)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
