"""Property: whatever sequence of stock-ins, adjustments, redemptions and voids happens,
stock equals the sum of its moves, never goes below zero, points and stock agree with a
simple model, and `ledger verify` stays clean. Refused steps change nothing."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger.verify import run_checks
from points_app.store import services
from points_app.store.models import ProductCategory, StockMoveKind
from tests.store.conftest import balance, give_points, stock

pytestmark = pytest.mark.usefixtures("in_request")

_names = itertools.count()
_keys = itertools.count()

steps = st.lists(
    st.one_of(
        st.tuples(st.just("in"), st.integers(0, 1), st.integers(1, 5)),
        st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-6, 6).filter(bool)),
        st.tuples(st.just("redeem"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.just("void"), st.integers(0, 10), st.just(0)),
    ),
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_stock_and_points_follow_the_model(shop, make_household, steps):
    n = next(_names)
    products = [
        services.create_product(
            shop.store,
            name=f"p{n}-{i}",
            category=ProductCategory.food,
            unit="个",
            points_price=price,
            actor=shop.admin,
        )  # fmt: skip
        for i, price in enumerate((7, 3))
    ]
    household = make_household()
    give_points(household, 40)
    expected_stock = [0, 0]
    expected_points = 40
    done: list[tuple[object, list[int], int]] = []  # redemption, quantities, points

    for action, a, b in steps:
        try:
            if action == "in":
                services.receive_stock(
                    products[a], quantity=b, kind=StockMoveKind.purchase, actor=shop.admin
                )
                expected_stock[a] += b
            elif action == "adjust":
                services.adjust_stock(products[a], delta=b, reason="count", actor=shop.admin)
                expected_stock[a] += b
            elif action == "redeem":
                quantities = [a, b]
                lines = [
                    services.BasketLine(p.id, q)
                    for p, q in zip(products, quantities, strict=True)
                    if q
                ]
                redemption = services.redeem_basket(
                    store=shop.store, card=services.household_card_token(household),
                    lines=lines, actor=shop.clerk, idempotency_key=f"prop-{n}-{next(_keys)}",
                )  # fmt: skip
                cost = 7 * a + 3 * b
                expected_points -= cost
                expected_stock = [s - q for s, q in zip(expected_stock, quantities, strict=True)]
                done.append((redemption, quantities, cost))
            elif done:
                redemption, quantities, cost = done.pop(a % len(done))
                services.void_redemption(redemption, actor=shop.clerk, reason="undo")
                expected_points += cost
                expected_stock = [s + q for s, q in zip(expected_stock, quantities, strict=True)]
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            assert error.code in {
                "out_of_stock", "insufficient_points", "empty_basket", "idempotency_mismatch",
            }, error.code  # fmt: skip
        assert [stock(p) for p in products] == expected_stock
        assert min(expected_stock) >= 0
        assert balance(household) == expected_points >= 0

    assert all(check.is_clean for check in run_checks())
