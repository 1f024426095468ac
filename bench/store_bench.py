"""Love supermarket: redemptions per second over HTTP, and printing 1,000 household cards.

    python -m bench.store_bench [--db sqlite|postgresql] [--connections 32] [--workers 4]
                                [--seconds 10] [--runs 1] [--requests 20000] [--cards 1000]

1. Redemptions (bench/scenario.py does the measuring): a fresh database (newest
   migration) with one community, a store of three products, and a clerk (with an API
   token) and a household per connection. wrk sends `POST /api/v1/redemptions`, each
   with a new Idempotency-Key, clerk i for household i in turn (so nothing is refused),
   two products of one store per basket: every redemption updates the same two product
   rows and the community's one store-sink account, as the counters of one store do.
   `GET /hello` of the same server, just before, is the baseline (goal: at least 0.15).
   The redemptions in the database must match wrk's 201s and `ledger verify` (balances
   and stock) must pass.
2. Cards: the A4 card sheet (`GET /store/cards/print`) for 1,000 households, signed in
   through the real login form, on one worker: the first request (cold: every QR code
   drawn) and the second (the worker's QR cache warm). Goal: under 10 s. One request at
   a time, so timed from Python.

`--db postgresql` needs `.ci/with-postgres` (or BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from typing import Any

import requests
from sqlalchemy import select

from bench.loadgen import Request, json_request
from bench.scenario import Scenario, main_loop
from bench.util import fresh_database, gunicorn

PASSWORD = "bench-password-1"
STOCK = 100_000
POINTS = 10_000_000


def make_app(url: str) -> Any:
    from points_app import create_app
    from points_app.config import normalise_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SECRET_KEY": "bench-only-secret",  # the same as bench.util's gunicorn
            "DEMO_MODE": False,
        }
    )


def seed(url: str, *, clients: int, cards: int, community_code: str = "") -> dict[str, Any]:
    """A community with a store of three well-stocked products, a clerk per client, a
    household per client holding plenty of points, and `cards` more households.

    With `community_code`, the store opens in that existing community (the mixed load
    seeds its events first)."""
    from points_app.accounts.models import Role, RoleAssignment
    from points_app.accounts.services import create_user
    from points_app.api.services import issue_token
    from points_app.areas.models import Area, AreaLevel
    from points_app.areas.services import create_area
    from points_app.extensions import db
    from points_app.ledger import services as ledger
    from points_app.ledger.models import AccountKind, TransferKind
    from points_app.people.models import Household, HouseholdCategory
    from points_app.store import services
    from points_app.store.models import ProductCategory, StockMoveKind

    app = make_app(url)
    with app.app_context():
        if community_code:
            community = db.session.scalars(select(Area).where(Area.code == community_code)).one()
        else:
            county = create_area(
                name="县", code="B", level=AreaLevel.county, parent=None, actor=None
            )
            street = create_area(
                name="街道", code="B-s", level=AreaLevel.street, parent=county, actor=None
            )
            community = create_area(
                name="社区", code="B-c", level=AreaLevel.community, parent=street, actor=None
            )
        clerks = []
        for i in range(clients):
            clerk = create_user(username=f"clerk{i}", password=PASSWORD, display_name=f"店员{i}")
            db.session.add(RoleAssignment(user=clerk, role=Role.clerk, area=community))
            clerks.append(clerk)
        db.session.flush()
        store = services.create_store(community=community, name="储爱超市", actor=clerks[0])
        products = []
        for name, price in (("大米", 3), ("肥皂", 1), ("毛巾", 2)):
            product = services.create_product(
                store, name=name, category=ProductCategory.daily, unit="个",
                points_price=price, actor=clerks[0],
            )  # fmt: skip
            services.receive_stock(
                product, quantity=STOCK, kind=StockMoveKind.purchase, actor=clerks[0]
            )
            products.append(product)
        households = [
            Household(
                public_no=f"B-c-H{i:05d}", head_name="户主", address="地址",
                community=community, category=HouseholdCategory.dibao,
            )
            for i in range(clients + cards)
        ]  # fmt: skip
        db.session.add_all(households)
        db.session.flush()
        issuance = ledger.system_account(community, AccountKind.issuance)
        for household in households[:clients]:
            ledger.transfer(
                debit=issuance, credit=ledger.account_for_household(household),
                amount=POINTS, kind=TransferKind.issue, actor=None,
            )  # fmt: skip
        with app.test_request_context():
            cards_text = [services.household_card_token(h) for h in households[:clients]]
        tokens = [issue_token(clerk)[1] for clerk in clerks]
        seeded = {
            "tokens": tokens,
            "store": store.id,
            "products": [p.id for p in products],
            "cards": cards_text,
            "community": community.id,
        }
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


def requests_for(seeded: dict[str, Any], count: int) -> list[Request]:
    """`count` redemptions of two products, each with a new Idempotency-Key, by clerk i
    for household i in turn, so the requests in flight at one moment are for different
    households (as at different counters)."""
    rice, soap, _towel = seeded["products"]
    clients = len(seeded["cards"])
    return [
        json_request(
            "POST",
            "/api/v1/redemptions",
            {
                "store_id": seeded["store"],
                "card": seeded["cards"][n % clients],
                "lines": [
                    {"product_id": rice, "quantity": 1},
                    {"product_id": soap, "quantity": 2},
                ],
            },
            Authorization=f"Bearer {seeded['tokens'][n % clients]}",
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
        for n in range(count)
    ]


def build(url: str, args: argparse.Namespace) -> Scenario:
    """Seed the database and give the redemption scenario's requests."""
    seeded = seed(url, clients=args.connections, cards=0)
    return Scenario(
        name="POST /api/v1/redemptions",
        requests=requests_for(seeded, args.requests),
        expect_status=201,
        table="redemptions",
    )


def _sign_in_web(session: requests.Session, base: str, username: str) -> None:
    page = session.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"login": username, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = session.post(base + "/login", data=data, timeout=30, allow_redirects=False)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def bench_cards(kind: str, *, cards: int) -> list[tuple[str, float, int]]:
    rows = []
    with fresh_database(kind) as url:
        seeded = seed(url, clients=1, cards=cards - 1)
        with gunicorn(url, workers=1) as base, requests.Session() as session:
            _sign_in_web(session, base, "clerk0")
            for label in ("cold", "warm"):
                began = time.perf_counter()
                response = session.get(
                    base + f"/store/cards/print?community={seeded['community']}", timeout=120
                )
                elapsed = time.perf_counter() - began
                response.raise_for_status()
                count = response.text.count('class="hh-card"')
                rows.append((f"card sheet, {count} cards ({kind}, {label})", elapsed, count))
    return rows


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--requests", type=int, default=20_000, help="most redemptions sent")
        parser.add_argument("--cards", type=int, default=1000, help="0: no card sheet")

    args, _outcomes = main_loop(
        prog="python -m bench.store_bench", build=build, extra=options, goal=0.15
    )
    if args.cards:
        print("\n| scenario | seconds | cards |\n| --- | ---: | ---: |")
        for name, elapsed, count in bench_cards(args.db, cards=args.cards):
            print(f"| {name} | {elapsed:.2f} | {count} |", flush=True)


if __name__ == "__main__":
    main()
