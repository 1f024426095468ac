"""`ledger verify` checks for the love supermarket: stock levels and redemptions."""

from __future__ import annotations

from sqlalchemy import func, select

from points_app.extensions import db
from points_app.ledger.models import Transfer
from points_app.ledger.verify import CheckResult, register_check
from points_app.store.models import (
    Product,
    Redemption,
    RedemptionLine,
    RedemptionStatus,
    StockMove,
    StockMoveKind,
)


@register_check
def check_stock() -> CheckResult:
    """Every product's stock equals the sum of its stock moves; each move's `stock_after`
    equals the running sum up to it; nothing is below zero."""
    result = CheckResult("stock")
    sums = (
        select(StockMove.product_id, func.sum(StockMove.quantity).label("total"))
        .group_by(StockMove.product_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Product.id, Product.name, Product.stock, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.product_id == Product.id)
        .order_by(Product.id)
    ).all()
    result.counts["products"] = len(rows)
    for product_id, name, cached, computed in rows:
        if cached != int(computed):
            result.problems.append(
                f"product {product_id} ({name}): cached stock {cached}, "
                f"stock moves give {int(computed)}"
            )
        if cached < 0:
            result.problems.append(f"product {product_id} ({name}) is below zero: {cached}")
    running = (
        select(
            StockMove.id,
            StockMove.product_id,
            StockMove.stock_after,
            func.sum(StockMove.quantity)
            .over(partition_by=StockMove.product_id, order_by=StockMove.id)
            .label("running"),
        )
    ).subquery()
    result.counts["stock moves"] = int(db.session.scalar(select(func.count(StockMove.id))) or 0)
    for move_id, product_id, after, total in db.session.execute(
        select(running).where(running.c.stock_after != running.c.running).limit(50)
    ).all():
        result.problems.append(
            f"stock move {move_id} (product {product_id}): stock_after {after}, running sum {total}"
        )
    return result


@register_check
def check_redemptions() -> CheckResult:
    """A redemption's lines add up to its total, its transfer moved that total, its stock
    moves took its items out, and a voided one has its reversal and its stock back."""
    result = CheckResult("redemptions")
    line_sums = (
        select(
            RedemptionLine.redemption_id,
            func.sum(RedemptionLine.line_points).label("points"),
            func.sum(RedemptionLine.quantity).label("qty"),
        )
        .group_by(RedemptionLine.redemption_id)
        .subquery()
    )
    out = (
        select(StockMove.redemption_id, (-func.sum(StockMove.quantity)).label("qty"))
        .where(StockMove.kind == StockMoveKind.redemption)
        .group_by(StockMove.redemption_id)
        .subquery()
    )
    back = (
        select(StockMove.redemption_id, func.sum(StockMove.quantity).label("qty"))
        .where(StockMove.kind == StockMoveKind.void_return)
        .group_by(StockMove.redemption_id)
        .subquery()
    )
    reversal = Transfer.__table__.alias("reversal")
    rows = db.session.execute(
        select(
            Redemption.id,
            Redemption.status,
            Redemption.total_points,
            Redemption.item_count,
            line_sums.c.points,
            line_sums.c.qty,
            Transfer.amount,
            out.c.qty,
            back.c.qty,
            reversal.c.id,
        )
        .outerjoin(line_sums, line_sums.c.redemption_id == Redemption.id)
        .outerjoin(Transfer, Transfer.id == Redemption.transfer_id)
        .outerjoin(out, out.c.redemption_id == Redemption.id)
        .outerjoin(back, back.c.redemption_id == Redemption.id)
        .outerjoin(reversal, reversal.c.id == Redemption.void_transfer_id)
        .order_by(Redemption.id)
    ).all()
    result.counts["redemptions"] = len(rows)
    for rid, status, total, items, l_points, l_items, t_amount, out_items, back_items, rev in rows:
        if (l_points, l_items) != (total, items):
            result.problems.append(f"redemption {rid}: lines do not add up to its total")
        if t_amount != total:
            result.problems.append(f"redemption {rid}: its transfer does not match its total")
        if out_items != items:
            result.problems.append(f"redemption {rid}: its stock moves do not match its items")
        voided = status == RedemptionStatus.voided
        if voided and (rev is None or back_items != items):
            result.problems.append(f"redemption {rid}: voided without its points or stock back")
        if not voided and (rev is not None or back_items is not None):
            result.problems.append(f"redemption {rid}: not voided but reversed")
    return result
