"""Mixed load: 200 simulated users for 60 s against TWO gunicorn servers sharing one
PostgreSQL database, as two app machines behind a load balancer would.

    .ci/with-postgres .venv/bin/python -m bench.mixed_load [--users 200] [--seconds 60]
                                      [--think-ms 1000] [--workers 2]

The users are split over five kinds and, within each kind, evenly over the two servers
(so nothing a request needs may live in one server's memory):

- check-in: a volunteer's token checks them into the next event (`POST /api/v1/checkins`);
- redemption: a clerk's token redeems a two-product basket for a household, a new
  Idempotency-Key each time (`POST /api/v1/redemptions`);
- counter: a signed-in clerk opens the store counter page (`GET /store/<id>/counter`);
- event page: a signed-in organiser opens an event's page (`GET /events/<id>`);
- home: a signed-in clerk opens the home page (`GET /`).

Each user is one wrk connection that waits a random 0 to 2 x `--think-ms` before each
request (wrk's `delay()`), one wrk process per kind and server. Loopback only; every
run is bounded in time (`--seconds`) and in count (each check-in and redemption list
is finite and used once). Afterwards: no 5xx and no unexpected status anywhere, the
rows in the database match wrk's 201s, and `ledger verify` is clean. It prints p50,
p95 and p99 per kind and server.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import requests

from bench.loadgen import (
    Request,
    WrkResult,
    json_request,
    loadavg,
    start_wrk,
    wait_until_settled,
    write_lists,
)
from bench.scenario import server_pids
from bench.util import count_rows, flask_cli, fresh_database, gunicorn, machine_summary

PASSWORD = "bench-password-1"
SHARES = {"check-in": 0.25, "redemption": 0.25, "counter": 0.17, "event page": 0.17, "home": 0.16}


def seed(url: str, *, volunteers: int, events: int, clerks: int) -> dict[str, Any]:
    """Events and volunteers (bench.checkin_bench), a store with clerks and households
    (bench.store_bench) in the same community, and two users for the web pages."""
    from bench import checkin_bench, store_bench

    tokens, codes = checkin_bench.seed(url, volunteers, events)
    shop = store_bench.seed(url, clients=clerks, cards=0, community_code="B-S-C")
    from sqlalchemy import select

    from points_app.accounts.models import Role, RoleAssignment
    from points_app.accounts.services import create_user
    from points_app.areas.models import Area
    from points_app.events.models import Event
    from points_app.extensions import db

    app = store_bench.make_app(url)
    with app.app_context():
        community = db.session.scalars(select(Area).where(Area.code == "B-S-C")).one()
        for name, role in (("web-organiser", Role.organiser), ("web-clerk", Role.clerk)):
            user = create_user(username=name, password=PASSWORD, display_name=name)
            db.session.add(RoleAssignment(user=user, role=role, area=community))
        event_id = db.session.scalars(select(Event.id).order_by(Event.id)).first()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "codes": codes, "shop": shop, "event_id": event_id}


def sign_in(base: str, username: str) -> str:
    """Sign in through the real login form; return the Cookie header for the session."""
    with requests.Session() as session:
        page = session.get(base + "/login", timeout=60).text
        data = {"login": username, "password": PASSWORD}
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if token:
            data["csrf_token"] = token.group(1)
        response = session.post(base + "/login", data=data, timeout=60, allow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {username} failed: {response.status_code}")
        return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def request_lists(seeded: dict[str, Any], cookies: dict[str, str], count: int) -> dict[str, Any]:
    """Per kind, the requests of each server: (list for server 0, list for server 1)."""
    shop = seeded["shop"]
    rice, soap, _towel = shop["products"]
    checkins = [
        json_request("POST", "/api/v1/checkins", {"code": code}, Authorization=f"Bearer {t}")
        for code in seeded["codes"]
        for t in seeded["tokens"]
    ]
    clerks = len(shop["tokens"])
    redemptions = [
        json_request(
            "POST",
            "/api/v1/redemptions",
            {
                "store_id": shop["store"],
                "card": shop["cards"][n % clerks],
                "lines": [
                    {"product_id": rice, "quantity": 1},
                    {"product_id": soap, "quantity": 2},
                ],
            },
            Authorization=f"Bearer {shop['tokens'][n % clerks]}",
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
        for n in range(count)
    ]
    counter = Request("GET", f"/store/{shop['store']}/counter", {"Cookie": cookies["web-clerk"]})
    event = Request("GET", f"/events/{seeded['event_id']}", {"Cookie": cookies["web-organiser"]})
    home = Request("GET", "/", {"Cookie": cookies["web-clerk"]})
    return {
        "check-in": (checkins[0::2], checkins[1::2]),
        "redemption": (redemptions[0::2], redemptions[1::2]),
        "counter": ([counter], [counter]),
        "event page": ([event], [event]),
        "home": ([home], [home]),
    }


def warm_up(servers: tuple[str, ...], lists: dict[str, Any], each: int = 6) -> None:
    """A few requests of every kind to every server (imports, caches, pools), one at a
    time; check-ins and redemptions used here are taken off their lists."""
    for kind, per_server in lists.items():
        for index, server in enumerate(servers):
            sample = per_server[index][:each] if kind in TABLES else per_server[index] * each
            for request in sample:
                headers = dict(request.headers)
                response = requests.request(
                    request.method, server + request.path, headers=headers,
                    data=request.body.encode() or None, timeout=60, allow_redirects=False,
                )  # fmt: skip
                if response.status_code != EXPECT[kind]:
                    raise RuntimeError(f"warm-up {kind}: {response.status_code} {response.text}")
            if kind in TABLES:
                del per_server[index][:each]


EXPECT = {"check-in": 201, "redemption": 201, "counter": 200, "event page": 200, "home": 200}
TABLES = {"check-in": "attendances", "redemption": "redemptions"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed_load")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think-ms", type=int, default=1000, help="mean pause between requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    args = parser.parse_args()

    print(f"machine: {machine_summary()}")
    print(
        f"PostgreSQL, two gunicorn servers x {args.workers} workers; {args.users} users for "
        f"{args.seconds:.0f} s, think time 0-{2 * args.think_ms} ms; load average {loadavg()}"
    )
    users = {kind: max(2, round(share * args.users) // 2 * 2) for kind, share in SHARES.items()}
    # Enough for every user sending without pause for the whole run, and then some.
    most = int(args.seconds * 1000 / max(args.think_ms, 50) * 1.5 + 50)
    with fresh_database("postgresql") as url:
        seeded = seed(
            url,
            volunteers=users["check-in"],
            events=max(most // 1 + 10, 50),
            clerks=users["redemption"],
        )
        with (
            gunicorn(url, workers=args.workers) as one,
            gunicorn(url, workers=args.workers) as two,
            tempfile.TemporaryDirectory(prefix="points-mixed-") as folder,
        ):
            servers = (one, two)
            cookies = {name: sign_in(one, name) for name in ("web-organiser", "web-clerk")}
            lists = request_lists(seeded, cookies, most * users["redemption"] + 40)
            warm_up(servers, lists)
            before = {kind: count_rows(url, table) for kind, table in TABLES.items()}
            runs = []
            for kind, per_server in lists.items():
                for index, server in enumerate(servers):
                    prefix = write_lists(Path(folder) / f"{kind}-{index}", [per_server[index]])
                    wrk = start_wrk(
                        server,
                        prefix,
                        connections=users[kind] // 2,
                        threads=1,
                        seconds=args.seconds,
                        cycle=kind not in TABLES,
                        think_ms=args.think_ms,
                        timeout=30,
                        server_pids=server_pids(server, url) if index == 0 else [server.pid],
                    )
                    runs.append((kind, index, wrk))
            results = [(kind, index, wrk.finish(name=f"{kind}, server {index + 1}"))
                       for kind, index, wrk in runs]  # fmt: skip
            after = {
                kind: wait_until_settled(lambda table=table: count_rows(url, table))
                for kind, table in TABLES.items()
            }
        flask_cli(url, "ledger", "verify")  # raises if any balance or stock is off
    report(results, before, after, users)


def report(
    results: list[tuple[str, int, WrkResult]],
    before: dict[str, int],
    after: dict[str, int],
    users: dict[str, int],
) -> None:
    """Print the table; raise if any response was not the expected one."""
    print(
        "\n| kind | server | users | answered | req/s | p50 ms | p95 ms | p99 ms | 5xx | other |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    problems = []
    for kind, index, result in results:
        errors = sum(n for s, n in result.statuses.items() if s >= 500)
        other = sum(n for s, n in result.statuses.items() if s < 500 and s != EXPECT[kind])
        lost = sum(n for k, n in result.socket_errors.items() if k != "status")
        print(
            f"| {kind} | {index + 1} | {result.connections} | {result.requests} "
            f"| {result.per_second:.1f} | {result.latency_ms['50']:.0f} "
            f"| {result.latency_ms['95']:.0f} | {result.latency_ms['99']:.0f} | {errors} "
            f"| {other + lost} |"
        )
        if errors or other or lost or result.threads_ran_out:
            problems.append(
                f"{kind} on server {index + 1}: {result.statuses}, {result.first_failure}"
            )
    total = sum(r.requests for _k, _i, r in results)
    print(f"\n{total} requests in all; users per kind: {users}")
    for kind in TABLES:
        answered = sum(r.ok for k, _i, r in results if k == kind)
        written = after[kind] - before[kind]
        print(f"{kind}: {written} rows written, {answered} answered 201 by wrk")
        with contextlib.suppress(KeyError):
            if not 0 <= written - answered <= users[kind]:
                problems.append(f"{kind}: {written} rows but {answered} answered")
    print(f"ledger verify: clean; load average after: {loadavg()}")
    if problems:
        raise SystemExit("FAILED:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
