"""Counters racing each other: real threads, each with its own app context and database
connection, released together at a barrier. Stock and points never go below zero, each
succeeds exactly as often as there is stock or points for, and `ledger verify` stays clean."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from points_app import create_app
from points_app.accounts.models import User
from points_app.config import TestConfig, normalise_database_url
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.verify import run_checks
from points_app.store import services
from points_app.store.models import Product, Redemption, Store
from tests.concurrency import run_together
from tests.conftest import ON_POSTGRES, PG_URL, _truncate_all
from tests.store.conftest import balance, stock

COUNTERS = 50
pytestmark = pytest.mark.slow


@pytest.fixture
def app(_pg_schema: None, tmp_path: Any) -> Iterator[Flask]:
    """An app whose pool holds a connection for every counter at once."""
    url = PG_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'race.db'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": COUNTERS + 5, "max_overflow": 0}

    app = create_app(Cfg)
    with app.app_context():
        if ON_POSTGRES:
            _truncate_all()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if ON_POSTGRES:
            _truncate_all()
        db.engine.dispose()


def _outcomes(results: list[Any]) -> Counter[str]:
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert not unexpected, unexpected
    return Counter(r.code if isinstance(r, DomainError) else "ok" for r in results)


def _redeem_in_thread(
    store_id: int, clerk_id: int, token: str, product_id: int, quantity: int, key: str
) -> int:
    def unit() -> int:
        redemption = services.redeem_basket(
            store=db.session.get(Store, store_id),  # type: ignore[arg-type]
            card=token,
            lines=[services.BasketLine(product_id, quantity)],
            actor=db.session.get(User, clerk_id),  # type: ignore[arg-type]
            idempotency_key=key,
        )
        return redemption.id

    return ledger.run_in_transaction(unit)


def test_fifty_counters_share_five_items_exactly(app, shop, make_household):
    households = [make_household(points=100) for _ in range(COUNTERS)]
    tokens = [services.household_card_token(h) for h in households]
    store_id, clerk_id, oil_id = shop.store.id, shop.clerk.id, shop.oil.id  # oil: stock 5

    results = run_together(
        app,
        COUNTERS,
        lambda i: _redeem_in_thread(store_id, clerk_id, tokens[i], oil_id, 1, f"race-{i}"),
    )

    assert _outcomes(results) == {"ok": 5, "out_of_stock": COUNTERS - 5}
    assert stock(shop.oil) == 0
    assert db.session.scalar(select(func.count(Redemption.id))) == 5
    assert sorted(balance(h) for h in households) == [50] * 5 + [100] * (COUNTERS - 5)
    assert all(check.is_clean for check in run_checks()), [c.problems for c in run_checks()]


def test_two_counters_on_one_card_with_points_for_one_basket_succeed_once(
    app, shop, make_household, make_user, tree
):
    household = make_household(points=100)
    second_clerk = make_user("clerk", tree["community_a"])
    token = services.household_card_token(household)
    store_id, rice_id = shop.store.id, shop.rice.id  # rice: 60 points
    clerks = [shop.clerk.id, second_clerk.id]

    results = run_together(
        app, 2, lambda i: _redeem_in_thread(store_id, clerks[i], token, rice_id, 1, "same-tap")
    )

    assert _outcomes(results) == {"ok": 1, "insufficient_points": 1}
    assert balance(household) == 40
    assert stock(shop.rice) == 9
    assert all(check.is_clean for check in run_checks())


def test_a_double_tap_on_one_counter_makes_one_redemption(app, shop, make_household):
    household = make_household(points=1000)
    token = services.household_card_token(household)
    store_id, clerk_id, soap_id = shop.store.id, shop.clerk.id, shop.soap.id

    results = run_together(
        app, 4, lambda i: _redeem_in_thread(store_id, clerk_id, token, soap_id, 2, "double-tap")
    )

    assert _outcomes(results) == {"ok": 4}
    assert len(set(results)) == 1
    assert balance(household) == 990
    assert stock(shop.soap) == 98


def test_voids_racing_redemptions_keep_the_books_straight(app, shop, make_household):
    households = [make_household(points=500) for _ in range(6)]
    tokens = [services.household_card_token(h) for h in households]
    store_id, clerk_id, soap_id = shop.store.id, shop.clerk.id, shop.soap.id
    first = [
        _redeem_in_thread(store_id, clerk_id, tokens[i], soap_id, 3, f"first-{i}") for i in range(6)
    ]

    def work(i: int) -> Any:
        if i % 2:
            return _redeem_in_thread(store_id, clerk_id, tokens[i], soap_id, 5, f"second-{i}")

        def void() -> int:
            redemption = db.session.get(Redemption, first[i])
            assert redemption is not None
            services.void_redemption(
                redemption,
                actor=db.session.get(User, clerk_id),
                reason="race",  # type: ignore[arg-type]
            )
            return redemption.id

        return ledger.run_in_transaction(void)

    assert _outcomes(run_together(app, 6, work)) == {"ok": 6}
    left = db.session.scalar(select(Product.stock).where(Product.id == soap_id))
    assert left == 100 - 3 * 3 - 5 * 3
    assert all(check.is_clean for check in run_checks())


def _post_redemption(app: Flask, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = app.test_client().post("/api/v1/redemptions", json=body, headers=headers)
    return response.status_code, response.get_json()


def test_api_retries_racing_with_one_key_make_one_redemption(
    app, shop, make_household, api_headers
):
    household = make_household(points=1000)
    headers = api_headers(shop.clerk, "one-basket")
    body = {
        "store_id": shop.store.id,
        "card": services.household_card_token(household),
        "lines": [{"product_id": shop.soap.id, "quantity": 2}],
    }

    results = run_together(app, 8, lambda i: _post_redemption(app, headers, body))

    assert {status for status, _body in results} == {201}
    assert len({json["id"] for _status, json in results}) == 1
    assert db.session.scalar(select(func.count(Redemption.id))) == 1
    assert balance(household) == 990
    assert stock(shop.soap) == 98
    assert all(check.is_clean for check in run_checks())


def test_api_one_key_reused_for_other_households_at_once_is_refused(
    app, shop, make_household, api_headers
):
    households = [make_household(points=100) for _ in range(6)]
    headers = api_headers(shop.clerk, "reused-key")

    def body(i: int) -> dict[str, Any]:
        return {
            "store_id": shop.store.id,
            "card": services.household_card_token(households[i]),
            "lines": [{"product_id": shop.soap.id, "quantity": 1}],
        }

    bodies = [body(i) for i in range(6)]
    results = run_together(app, 6, lambda i: _post_redemption(app, headers, bodies[i]))

    statuses = Counter(status for status, _json in results)
    assert statuses == {201: 1, 422: 5}
    assert all(json["error"]["code"] == "idempotency_mismatch" for s, json in results if s == 422)
    assert db.session.scalar(select(func.count(Redemption.id))) == 1
    assert sorted(balance(h) for h in households) == [95] + [100] * 5
    assert all(check.is_clean for check in run_checks())
