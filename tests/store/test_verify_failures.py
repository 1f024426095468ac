"""`ledger verify` fails on each broken state of the love supermarket it checks for.

The broken states are written straight into the database, behind the services' back:
inserts pass the append-only triggers, and redemptions and products may be updated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from points_app.extensions import db
from points_app.ledger.models import Transfer, TransferKind
from points_app.ledger.verify import run_checks
from points_app.store.models import RedemptionLine, StockMove, StockMoveKind
from points_app.store.services import void_redemption


def _problems(name: str) -> list[str]:
    (result,) = [r for r in run_checks() if r.name == name]
    return result.problems


def _sql(statement: str, **params: Any) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def _extra_move(product: Any, quantity: int, stock_after: int, **fields: Any) -> StockMove:
    move = StockMove(
        product_id=product.id, kind=fields.pop("kind", StockMoveKind.purchase),
        quantity=quantity, stock_after=stock_after, reason=fields.pop("reason", ""), **fields,
    )  # fmt: skip
    db.session.add(move)
    db.session.commit()
    return move


def test_a_clean_shop_verifies_clean_with_its_counts(shop, make_household, redeem):
    household = make_household(points=200)
    redeem(household, {shop.rice: 1, shop.soap: 2})
    results = {r.name: r for r in run_checks()}
    assert results["stock"].counts == {"products": 3, "stock moves": 5}
    assert results["redemptions"].counts == {"redemptions": 1}
    assert results["stock"].is_clean and results["redemptions"].is_clean


def test_verify_fails_when_a_moves_stock_after_is_not_the_running_sum(shop, runner):
    move = _extra_move(shop.rice, 1, 99)
    _sql("UPDATE products SET stock = stock + 1 WHERE id = :id", id=shop.rice.id)
    assert _problems("stock") == [
        f"stock move {move.id} (product {shop.rice.id}): stock_after 99, running sum 11"
    ]
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1 and "running sum 11" in result.output


def test_verify_fails_when_a_products_stock_is_not_its_moves(shop, runner):
    _sql("UPDATE products SET stock = 3 WHERE id = :id", id=shop.oil.id)
    assert _problems("stock") == [
        f"product {shop.oil.id} (食用油): cached stock 3, stock moves give 5"
    ]
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 1


def test_a_product_at_zero_stock_is_not_a_problem(shop):
    _extra_move(shop.oil, -5, 0, kind=StockMoveKind.adjustment, reason="stocktake")
    _sql("UPDATE products SET stock = 0 WHERE id = :id", id=shop.oil.id)
    assert _problems("stock") == []


def test_verify_fails_when_a_redemptions_lines_do_not_add_up(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    db.session.add(
        RedemptionLine(
            redemption_id=redemption.id,
            product_id=shop.rice.id,
            product_name="大米",
            unit="袋",
            quantity=1,
            points_price=60,
            line_points=60,
        )  # fmt: skip
    )
    db.session.commit()
    assert _problems("redemptions") == [
        f"redemption {redemption.id}: lines do not add up to its total"
    ]


def test_verify_fails_when_a_redemptions_transfer_is_not_its_total(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    other = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.issue)).one()
    _sql("UPDATE redemptions SET transfer_id = :t WHERE id = :id", t=other.id, id=redemption.id)
    assert _problems("redemptions") == [
        f"redemption {redemption.id}: its transfer does not match its total"
    ]


def test_verify_fails_when_a_redemptions_stock_moves_are_not_its_items(
    shop, make_household, redeem
):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    _extra_move(shop.soap, -1, 97, kind=StockMoveKind.redemption, redemption_id=redemption.id)
    assert _problems("redemptions") == [
        f"redemption {redemption.id}: its stock moves do not match its items"
    ]


def test_verify_fails_when_a_redemption_is_marked_voided_without_its_reversal(
    shop, make_household, redeem
):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    _sql(
        "UPDATE redemptions SET status = 'voided', voided_at = CURRENT_TIMESTAMP WHERE id = :id",
        id=redemption.id,
    )
    assert _problems("redemptions") == [
        f"redemption {redemption.id}: voided without its points or stock back"
    ]


def test_verify_fails_when_a_voided_redemption_lacks_its_stock_back(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    void_redemption(redemption, actor=shop.clerk, reason="wrong goods")
    db.session.commit()
    assert _problems("redemptions") == []
    # One more unit "came back" under this redemption than it took out.
    _extra_move(shop.soap, 1, 101, kind=StockMoveKind.void_return, redemption_id=redemption.id)
    assert _problems("redemptions") == [
        f"redemption {redemption.id}: voided without its points or stock back"
    ]


def test_verify_fails_when_a_reversed_redemption_is_not_marked_voided(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    void_redemption(redemption, actor=shop.clerk, reason="wrong goods")
    db.session.commit()
    _sql(
        "UPDATE redemptions SET status = 'completed', voided_at = NULL WHERE id = :id",
        id=redemption.id,
    )
    assert _problems("redemptions") == [f"redemption {redemption.id}: not voided but reversed"]


def test_verify_fails_when_stock_came_back_to_a_redemption_not_voided(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    _extra_move(shop.soap, 2, 100, kind=StockMoveKind.void_return, redemption_id=redemption.id)
    assert _problems("redemptions") == [f"redemption {redemption.id}: not voided but reversed"]


def test_verify_fails_when_a_redemptions_points_total_was_changed(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 2})
    _sql("UPDATE redemptions SET total_points = 11 WHERE id = :id", id=redemption.id)
    # Same items, other points: its lines and its transfer both disagree with it.
    assert _problems("redemptions") == [
        f"redemption {redemption.id}: lines do not add up to its total",
        f"redemption {redemption.id}: its transfer does not match its total",
    ]
