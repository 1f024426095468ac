"""Love supermarket: redemptions per second over HTTP, and printing 1,000 household cards.

    python -m bench.store_bench [--db sqlite|postgresql|both] [--clients 32]
                                [--workers 4] [--seconds 10] [--cards 1000]

1. Redemptions: gunicorn on a fresh database (newest migration). Each of the clients
   signs in for an API token, then sends `POST /api/v1/redemptions` as fast as it can,
   each with a new Idempotency-Key, for its own household (so no refusals), two products
   of one store per basket: every redemption updates the same two product rows and the
   community's one store-sink account, as counters of one store do. In the same run,
   with the same server and clients, the bare `GET /hello` gives the baseline; the
   report is the ratio of the two (goal: at least 0.15).
2. Cards: the A4 card sheet (`GET /store/cards/print`) for 1,000 households, signed in
   through the real login form, on one worker: the first request (cold: every QR code
   drawn) and the second (the worker's QR cache warm). Goal: under 10 s.

`--db postgresql` needs `.ci/with-postgres` (or BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from typing import Any

import requests

from bench.util import Result, flask_cli, fresh_database, gunicorn, load, machine_summary

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


def seed(url: str, *, clients: int, cards: int) -> dict[str, Any]:
    """A community with a store of three well-stocked products, a clerk per client, a
    household per client holding plenty of points, and `cards` more households."""
    from points_app.accounts.models import Role, RoleAssignment
    from points_app.accounts.services import create_user
    from points_app.areas.models import AreaLevel
    from points_app.areas.services import create_area
    from points_app.extensions import db
    from points_app.ledger import services as ledger
    from points_app.ledger.models import AccountKind, TransferKind
    from points_app.people.models import Household, HouseholdCategory
    from points_app.store import services
    from points_app.store.models import ProductCategory, StockMoveKind

    app = make_app(url)
    with app.app_context():
        county = create_area(name="县", code="B", level=AreaLevel.county, parent=None, actor=None)
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
        seeded = {
            "store": store.id,
            "products": [p.id for p in products],
            "cards": cards_text,
            "community": community.id,
        }
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


def bench_redemptions(
    kind: str, *, clients: int, workers: int, seconds: float
) -> tuple[Result, Result]:
    with fresh_database(kind) as url:
        seeded = seed(url, clients=clients, cards=0)
        with gunicorn(url, workers=workers) as base:
            hello = load(
                lambda session: session.get(base + "/hello", timeout=30),
                name=f"GET /hello ({kind}, {workers}w)",
                clients=clients,
                seconds=seconds,
            )

            # Sign in one client after another: a sign-in is slow on purpose (scrypt).
            tokens = []
            for index in range(clients):
                response = requests.post(
                    base + "/api/v1/auth/token",
                    json={"username": f"clerk{index}", "password": PASSWORD},
                    timeout=60,
                )
                response.raise_for_status()
                tokens.append(response.json()["token"])

            def sign_in(session: requests.Session, index: int) -> dict[str, Any]:
                session.headers["Authorization"] = "Bearer " + tokens[index]
                return {"card": seeded["cards"][index]}

            rice, soap, _towel = seeded["products"]

            def redeem(session: requests.Session, state: dict[str, Any]) -> requests.Response:
                return session.post(
                    base + "/api/v1/redemptions",
                    json={
                        "store_id": seeded["store"],
                        "card": state["card"],
                        "lines": [
                            {"product_id": rice, "quantity": 1},
                            {"product_id": soap, "quantity": 2},
                        ],
                    },
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    timeout=30,
                )

            redemptions = load(
                redeem,
                setup=sign_in,
                name=f"POST /api/v1/redemptions ({kind}, {workers}w)",
                clients=clients,
                seconds=seconds,
                ok=lambda r: r.status_code == 201,
            )
        flask_cli(url, "ledger", "verify")  # raises if any balance or stock is off
    return hello, redemptions


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
    parser = argparse.ArgumentParser(prog="python -m bench.store_bench")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cards", type=int, default=1000)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)

    print(f"machine: {machine_summary()}")
    for kind in kinds:
        hello, redemptions = bench_redemptions(
            kind, clients=args.clients, workers=args.workers, seconds=args.seconds
        )
        print(Result.HEADER)
        print(hello.row())
        print(redemptions.row())
        ratio = redemptions.per_second / hello.per_second if hello.per_second else 0.0
        print(f"\nredemptions/s ÷ /hello req/s ({kind}): {ratio:.2f} (goal ≥ 0.15)")
        print(f"statuses: hello {hello.statuses}, redemptions {redemptions.statuses}\n")
        print("| scenario | seconds | cards |\n| --- | ---: | ---: |")
        for name, elapsed, count in bench_cards(kind, cards=args.cards):
            print(f"| {name} | {elapsed:.2f} | {count} |", flush=True)
        print()


if __name__ == "__main__":
    main()
