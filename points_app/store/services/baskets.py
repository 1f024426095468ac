"""Baskets at the counter: parsing lines and loading their products."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import lazyload

from points_app.core.db import prepared
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store.models import (
    Product,
    Store,
)
from points_app.store.services.common import MAX_LINE_QUANTITY, MAX_LINES


@dataclass(frozen=True)
class BasketLine:
    """A product and how many of it."""

    product_id: int
    quantity: int


def parse_lines(raw: Iterable[tuple[Any, Any]]) -> list[BasketLine]:
    """Turn (product id, quantity) pairs from a form or JSON into clean basket lines.

    Zero quantities are dropped, repeated products are added up; anything that is not a
    whole number, negative or huge is refused with `validation_error`.
    """
    totals: dict[int, int] = {}
    for product_id, quantity in raw:
        try:
            pid = int(product_id)
            qty = int(quantity)
        except (TypeError, ValueError):
            raise _bad_basket() from None
        if isinstance(quantity, float | bool) or isinstance(product_id, float | bool):
            raise _bad_basket()
        if pid <= 0 or pid > 2**31 - 1 or qty < 0 or qty > MAX_LINE_QUANTITY:
            raise _bad_basket()
        if qty:
            totals[pid] = totals.get(pid, 0) + qty
    if len(totals) > MAX_LINES or any(q > MAX_LINE_QUANTITY for q in totals.values()):
        raise _bad_basket()
    return [BasketLine(pid, qty) for pid, qty in sorted(totals.items())]


def _bad_basket() -> DomainError:
    return DomainError(
        "validation_error",
        _l("Each quantity must be a whole number from 0 to %(max)s.", max=MAX_LINE_QUANTITY),
        422,
    )


@prepared
def _products_query() -> Select[tuple[Product]]:
    return (
        select(Product)
        .where(Product.id.in_(bindparam("ids", expanding=True)))
        .options(lazyload(Product.store))  # the caller has the store already
        .execution_options(populate_existing=True)
    )


def _load_products(store: Store, lines: list[BasketLine]) -> dict[int, Product]:
    ids = [line.product_id for line in lines]
    found = {p.id: p for p in db.session.scalars(_products_query(), {"ids": ids})}
    for pid in ids:
        product = found.get(pid)
        if product is None or product.store_id != store.id:
            raise DomainError(
                "validation_error", _l("A product in the basket is not sold at this store."), 422
            )
        if not product.is_active:
            raise DomainError(
                "product_unavailable",
                _l(
                    "%(product)s is no longer on sale. Remove it from the basket.",
                    product=product.name,
                ),
                409,
                product_id=product.id,
            )
    return found
