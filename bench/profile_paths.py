"""Where a check-in's or a redemption's time goes: in process, one request at a time.

    python -m bench.profile_paths [--db sqlite|postgresql] [--requests 400] [--top 30]
                                  [--scenario checkin|redemption|hello|all] [--profile]

The same seeds as bench.checkin_bench and bench.store_bench, the app in production
mode, requests through Flask's test client (the whole WSGI stack, no socket). It
prints the CPU time per request of this process (`time.process_time`, so other work on
a shared machine hardly moves it) and, for PostgreSQL, of the database server's
backends too; with `--profile`, cProfile's top functions and the share of the time
spent in each part of the request (auth, idempotency record, JSON, Babel, ORM, commit).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.loadgen import postgres_server_pid, process_tree_cpu
from bench.util import database_port, fresh_database, machine_summary

SECRET = "bench-only-secret"

# Functions whose cumulative time says what a part of the request costs.
PARTS = {
    "auth (token, user, roles)": ("auth.py", "authenticate_api_request"),
    "idempotency claim": ("idempotency.py", "_claim"),
    "idempotency store response": ("idempotency.py", "_store_response"),
    "read_json (validation)": ("validation.py", "read_json"),
    "qr.verify (HMAC)": ("qr.py", "verify"),
    "check_in service": ("checkin.py", "check_in"),
    "redeem_basket service": ("redemptions.py", "redeem_basket"),
    "ledger transfer": ("services.py", "transfer"),
    "session.flush (ORM unit of work)": ("session.py", "flush"),
    "session.commit": ("session.py", "commit"),
    "Babel gettext / lazy strings": ("flask_babel", ""),
    "jsonify / JSON": ("json", ""),
    "SQL execute (cursor)": ("", "execute' of 'sqlite3.Cursor"),
}


def _app(url: str) -> Any:
    """The app as gunicorn serves it in the benches (production settings)."""
    from points_app import create_app
    from points_app.config import normalise_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SECRET_KEY": SECRET,
            "DEMO_MODE": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )


def checkin_calls(url: str, count: int) -> list[Callable[[Any], Any]]:
    from bench.checkin_bench import seed

    events = count // 32 + 2
    tokens, codes = seed(url, 32, events)
    calls = []
    for code in codes:
        for token in tokens:
            calls.append(
                lambda client, token=token, code=code: client.post(
                    "/api/v1/checkins",
                    json={"code": code},
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
    return calls


def redemption_calls(url: str, count: int) -> list[Callable[[Any], Any]]:
    from bench.store_bench import seed

    seeded = seed(url, clients=32, cards=0)
    rice, soap, _towel = seeded["products"]
    calls = []
    for n in range(count + 64):
        body = {
            "store_id": seeded["store"],
            "card": seeded["cards"][n % 32],
            "lines": [{"product_id": rice, "quantity": 1}, {"product_id": soap, "quantity": 2}],
        }
        headers = {
            "Authorization": f"Bearer {seeded['tokens'][n % 32]}",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        calls.append(
            lambda client, body=body, headers=headers: client.post(
                "/api/v1/redemptions", json=body, headers=headers
            )
        )
    return calls


def hello_calls(url: str, count: int) -> list[Callable[[Any], Any]]:
    return [lambda client: client.get("/hello")] * (count + 64)


SCENARIOS = {
    "hello": (hello_calls, 200),
    "checkin": (checkin_calls, 201),
    "redemption": (redemption_calls, 201),
}


def run(kind: str, scenario: str, count: int, profile: bool, top: int) -> None:
    make_calls, status = SCENARIOS[scenario]
    with fresh_database(kind) as url:
        calls = make_calls(url, count)
        app = _app(url)
        client = app.test_client()
        for call in calls[:32]:  # warm-up: imports, caches, prepared statements
            response = call(client)
            assert response.status_code == status, (response.status_code, response.get_data())
        measured = calls[32 : 32 + count]
        statements = _count_statements(app)
        port = database_port(url)
        postmaster = postgres_server_pid(port) if port else None
        db_before = process_tree_cpu([postmaster]) if postmaster else 0.0
        profiler = cProfile.Profile() if profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for call in measured:
            response = call(client)
            if response.status_code != status:
                raise RuntimeError(f"{response.status_code}: {response.get_data()[:300]!r}")
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db_cpu = process_tree_cpu([postmaster]) - db_before if postmaster else 0.0
        with app.app_context():
            from points_app.extensions import db

            db.engine.dispose()
    n = len(measured)
    note = f", database server {1000 * db_cpu / n:.2f} ms" if postmaster else ""
    print(
        f"{scenario} ({kind}): {n} requests, CPU {1000 * cpu / n:.2f} ms a request in "
        f"this process{note}; wall {1000 * wall / n:.2f} ms; "
        f"{statements[0] / n:.1f} SQL statements a request"
        + (" (profiled: slower)" if profile else ""),
        flush=True,
    )
    if profiler:
        stats = pstats.Stats(profiler)
        calls_made = sum(nc for (_cc, nc, _tt, _ct, _c) in stats.stats.values())  # type: ignore[attr-defined]
        print(f"Python function calls a request: {calls_made / n:.0f} (load-independent)")
        _print_parts(stats, n)
        stats.sort_stats("tottime").print_stats(top)


def _count_statements(app: Any) -> list[int]:
    """A counter of the SQL statements the app sends from now on (BEGIN and COMMIT not
    included; SQLite's BEGIN IMMEDIATE is)."""
    from sqlalchemy import event

    from points_app.extensions import db

    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    return counter


def _print_parts(stats: pstats.Stats, n: int) -> None:
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
    print(f"profiled total {1000 * total / n:.2f} ms a request; parts (cumulative, overlapping):")
    for label, (file_part, name) in PARTS.items():
        if not name:  # a whole module family: its own time only
            own = sum(
                tt for (f, _l, _fn), (_cc, _nc, tt, _ct, _c) in entries.items() if file_part in f
            )
            print(f"  {label:38} {1000 * own / n:6.2f} ms (own time)")
            continue
        cumulative = max(
            (
                ct
                for (f, _l, fn), (_cc, _nc, _tt, ct, _c) in entries.items()
                if file_part in f and fn == name or (not file_part and name in fn)
            ),
            default=0.0,
        )
        print(f"  {label:38} {1000 * cumulative / n:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_paths")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--scenario", choices=(*SCENARIOS, "all"), default="all", help="what to send"
    )
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    print(f"machine: {machine_summary()}")
    for scenario in SCENARIOS if args.scenario == "all" else (args.scenario,):
        run(args.db, scenario, args.requests, args.profile, args.top)


if __name__ == "__main__":
    main()
