"""Fixtures for the love supermarket: a store with products, households with points."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from points_app.accounts.models import Role, User
from points_app.areas.models import Area
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, HouseholdCategory
from points_app.store import services
from points_app.store.models import Product, ProductCategory, StockMoveKind, Store

# A Tuesday, 10:00 in Shanghai, mid-month: monthly limits, the void window and "today"
# never straddle a day or a month, whenever the suite runs.
STORE_CLOCK_START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def store_clock() -> Any:
    """Every store test starts at `STORE_CLOCK_START`; the clock then runs on."""
    with time_machine.travel(STORE_CLOCK_START, tick=True) as traveller:
        yield traveller


@dataclass
class Shop:
    """A store in community A, its clerk, an admin, and a few products."""

    store: Store
    clerk: User
    admin: User
    rice: Product  # 60 points, stock 10
    oil: Product  # 50 points, stock 5
    soap: Product  # 5 points, stock 100


def give_points(household: Household, amount: int, actor: Any = None) -> None:
    """Mint points into a household's account (committed)."""
    issuance = ledger.system_account(household.community, AccountKind.issuance)
    account = ledger.account_for_household(household)
    db.session.flush()
    ledger.transfer(
        debit=issuance, credit=account, amount=amount, kind=TransferKind.issue, actor=actor
    )
    db.session.commit()


def balance(household: Household) -> int:
    return ledger.balance_of(ledger.account_for_household(household))


def stock(product: Product) -> int:
    """The product's stock as the database has it now."""
    return int(db.session.scalar(select(Product.stock).where(Product.id == product.id)) or 0)


@pytest.fixture
def make_household(tree: dict[str, Area]) -> Callable[..., Household]:
    counter = {"n": 0}

    def make(community: Area | None = None, points: int = 0, **kwargs: Any) -> Household:
        counter["n"] += 1
        n = counter["n"]
        community = community or tree["community_a"]
        household = Household(
            public_no=kwargs.pop("public_no", f"{community.code}-H{n:03d}"),
            head_name=kwargs.pop("head_name", "王秀英"),
            address=kwargs.pop("address", "东谷路1号"),
            community=community,
            category=HouseholdCategory.dibao,
            **kwargs,
        )
        db.session.add(household)
        db.session.commit()
        if points:
            give_points(household, points)
        return household

    return make


@pytest.fixture
def shop(tree: dict[str, Area], make_user: Callable[..., User]) -> Shop:
    clerk = make_user(Role.clerk, tree["community_a"], display_name="周敏")
    admin = make_user(Role.admin, tree["county"])
    store = services.create_store(community=tree["community_a"], name="东谷储爱超市", actor=admin)
    products = []
    for name, price, qty in (("大米", 60, 10), ("食用油", 50, 5), ("肥皂", 5, 100)):
        product = services.create_product(
            store, name=name, category=ProductCategory.grain_oil, unit="袋",
            points_price=price, actor=admin,
        )  # fmt: skip
        services.receive_stock(product, quantity=qty, kind=StockMoveKind.purchase, actor=admin)
        products.append(product)
    db.session.commit()
    return Shop(store, clerk, admin, *products)


@pytest.fixture
def redeem(shop: Shop) -> Callable[..., Any]:
    """Redeem a basket at the shop's store and commit: redeem(household, {product: qty})."""
    counter = {"n": 0}

    def do(
        household: Household, basket: dict[Product, int], *, key: str | None = None,
        actor: User | None = None, **kwargs: Any,
    ) -> Any:  # fmt: skip
        counter["n"] += 1
        lines = [
            services.BasketLine(p.id, q) for p, q in sorted(basket.items(), key=lambda i: i[0].id)
        ]
        try:
            redemption = services.redeem_basket(
                store=shop.store, card=services.household_card_token(household), lines=lines,
                actor=actor or shop.clerk, idempotency_key=key or f"key-{counter['n']}", **kwargs,
            )  # fmt: skip
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return redemption

    return do


@pytest.fixture
def in_request(app: Any) -> Any:
    """Run the test inside a POST request, as a view would (messages can be translated)."""
    with app.test_request_context("/", method="POST") as ctx:
        yield ctx
