"""Stock moves: the only way stock changes (donations, purchases, adjustments, transfers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from points_app.core.db import prepared, utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.people.models import Organisation
from points_app.store.models import (
    Product,
    StockMove,
    StockMoveKind,
    Store,
)
from points_app.store.services.catalogue import create_product
from points_app.store.services.common import MAX_STOCK_QUANTITY, _actor_id, _clean


def _out_of_stock(product: Product, left: int) -> DomainError:
    return DomainError(
        "out_of_stock",
        _l(
            "%(product)s: only %(left)s %(unit)s left.",
            product=product.name,
            left=left,
            unit=product.unit,
        ),
        409,
        product_id=product.id,
        product=product.name,
        left=left,
    )


@prepared
def _stock_statement(decrease: bool) -> Update:
    stmt = update(Product).where(Product.id == bindparam("product_id"))
    if decrease:
        stmt = stmt.where(Product.stock >= -bindparam("delta"))
    return stmt.values(stock=Product.stock + bindparam("delta")).returning(Product.stock)


def _move_stock(product: Product, delta: int) -> int:
    """Change a product's cached stock by `delta`, never below zero; return the new level.

    A conditional UPDATE: on PostgreSQL it takes the row lock, so two counters taking the
    last item cannot both succeed; on SQLite the transaction already holds the write lock.
    """
    # A Core statement on the session's connection: no ORM bookkeeping for one column.
    new_stock = (
        db.session.connection()
        .execute(_stock_statement(delta < 0), {"product_id": product.id, "delta": delta})
        .scalar_one_or_none()
    )
    if new_stock is None:
        left = db.session.scalar(select(Product.stock).where(Product.id == product.id)) or 0
        set_committed_value(product, "stock", left)
        raise _out_of_stock(product, left)
    set_committed_value(product, "stock", new_stock)
    return int(new_stock)


def _record_move(
    product: Product,
    kind: StockMoveKind,
    delta: int,
    *,
    actor: Any,
    now: dt.datetime | None = None,
    **extra: Any,
) -> StockMove:
    stock_after = _move_stock(product, delta)
    move = StockMove(
        product_id=product.id,
        kind=kind,
        quantity=delta,
        stock_after=stock_after,
        actor_id=_actor_id(actor),
        created_at=now or utcnow(),
        **extra,
    )
    db.session.add(move)
    return move


def _check_quantity(quantity: Any, *, allow_negative: bool = False) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError("validation_error", _l("The quantity must be a whole number."), 422)
    if quantity == 0 or abs(quantity) > MAX_STOCK_QUANTITY or (quantity < 0 and not allow_negative):
        raise DomainError(
            "validation_error",
            _l("The quantity must be between 1 and %(max)s.", max=MAX_STOCK_QUANTITY),
            422,
        )
    return quantity


def receive_stock(
    product: Product,
    *,
    quantity: int,
    kind: StockMoveKind,
    actor: Any,
    donor: Organisation | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> StockMove:
    """Stock in by donation (naming the donor organisation) or by purchase."""
    quantity = _check_quantity(quantity)
    if kind not in (StockMoveKind.donation, StockMoveKind.purchase):
        raise DomainError("validation_error", _l("Stock comes in by donation or purchase."), 422)
    if kind is StockMoveKind.donation and donor is None:
        raise DomainError("validation_error", _l("Name the organisation that donated it."), 422)
    if kind is StockMoveKind.purchase:
        donor = None
    move = _record_move(
        product,
        kind,
        quantity,
        actor=actor,
        now=now,
        donor_organisation_id=donor.id if donor else None,
        reason=_clean(reason, 200),
    )
    db.session.flush()
    return move


def adjust_stock(
    product: Product, *, delta: int, reason: str, actor: Any, now: dt.datetime | None = None
) -> StockMove:
    """Correct the stock up or down (stocktake, damage, expiry), with a reason."""
    delta = _check_quantity(delta, allow_negative=True)
    reason = _clean(reason, 200)
    if not reason:
        raise DomainError("reason_required", _l("Say why the stock is adjusted."), 422)
    move = _record_move(
        product, StockMoveKind.adjustment, delta, actor=actor, now=now, reason=reason
    )
    db.session.flush()
    return move


def transfer_stock(
    product: Product,
    *,
    to_store: Store,
    quantity: int,
    actor: Any,
    reason: str = "",
    now: dt.datetime | None = None,
) -> tuple[StockMove, StockMove]:
    """Move stock to another store; the product of the same name there is created if needed."""
    quantity = _check_quantity(quantity)
    if to_store.id == product.store_id:
        raise DomainError("validation_error", _l("Choose another store to send it to."), 422)
    target = db.session.scalars(
        select(Product).where(Product.store_id == to_store.id, Product.name == product.name)
    ).first()
    if target is None:
        target = create_product(
            to_store,
            name=product.name,
            category=product.category,
            unit=product.unit,
            points_price=product.points_price,
            low_stock_at=product.low_stock_at,
            actor=actor,
        )
    reason = _clean(reason, 200)
    # Lock in product id order, like a redemption does.
    first, second = sorted([product, target], key=lambda p: p.id)
    moves: dict[int, StockMove] = {}
    for item in (first, second):
        if item is product:
            moves[item.id] = _record_move(
                product, StockMoveKind.transfer_out, -quantity, actor=actor, now=now,
                other_store_id=to_store.id, reason=reason,
            )  # fmt: skip
        else:
            moves[item.id] = _record_move(
                target, StockMoveKind.transfer_in, quantity, actor=actor, now=now,
                other_store_id=product.store_id, reason=reason,
            )  # fmt: skip
    db.session.flush()
    return moves[product.id], moves[target.id]
