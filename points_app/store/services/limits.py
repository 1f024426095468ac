"""A household's monthly use of a store and the store's limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.people.models import Household
from points_app.store.models import (
    Product,
    Redemption,
    RedemptionLine,
    RedemptionStatus,
    Store,
)
from points_app.store.services.baskets import BasketLine
from points_app.store.services.common import month_bounds


@dataclass
class MonthUse:
    """What a household has used at a store this month, and what its limits leave."""

    points: int = 0
    visits: int = 0
    by_product: dict[int, int] = field(default_factory=dict)
    points_left: int | None = None
    visits_left: int | None = None


def month_use(
    store: Store, household: Household, *, now: dt.datetime | None = None, product_ids: Any = None
) -> MonthUse:
    """Points, visits and quantities per product a household redeemed here this month."""
    start, end = month_bounds(now or utcnow())
    in_month = (
        Redemption.store_id == store.id,
        Redemption.household_id == household.id,
        Redemption.status == RedemptionStatus.completed,
        Redemption.created_at >= start,
        Redemption.created_at < end,
    )
    points, visits = db.session.execute(
        select(func.coalesce(func.sum(Redemption.total_points), 0), func.count(Redemption.id))
        .where(*in_month)
    ).one()  # fmt: skip
    query = (
        select(RedemptionLine.product_id, func.sum(RedemptionLine.quantity))
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .where(*in_month)
        .group_by(RedemptionLine.product_id)
    )
    if product_ids is not None:
        query = query.where(RedemptionLine.product_id.in_(list(product_ids)))
    use = MonthUse(points=int(points), visits=int(visits))
    use.by_product = {int(pid): int(qty) for pid, qty in db.session.execute(query).all()}
    if store.monthly_points_limit:
        use.points_left = max(store.monthly_points_limit - use.points, 0)
    if store.monthly_visits_limit:
        use.visits_left = max(store.monthly_visits_limit - use.visits, 0)
    return use


def _limit_reached(message: Any, **details: Any) -> DomainError:
    return DomainError("limit_reached", message, 409, **details)


def _check_limits(
    store: Store, household: Household, products: dict[int, Product], lines: list[BasketLine],
    total: int, now: dt.datetime,
) -> None:  # fmt: skip
    if not (
        store.monthly_points_limit or store.monthly_visits_limit or store.monthly_product_limit
    ):
        return
    use = month_use(store, household, now=now, product_ids=products.keys())
    if use.visits_left is not None and use.visits_left < 1:
        raise _limit_reached(
            _l(
                "Monthly visit limit reached: %(limit)s visits a month at this store. Nothing was "
                "redeemed; the household can come again next month.",
                limit=store.monthly_visits_limit,
            ),
            limit="visits_per_month",
            left=0,
        )
    if use.points_left is not None and total > use.points_left:
        raise _limit_reached(
            _l(
                "Monthly points limit: %(limit)s points a month at this store; "
                "%(left)s left this month, this basket needs %(total)s. Take goods out of "
                "the basket until the total is at most %(left)s.",
                limit=store.monthly_points_limit,
                left=use.points_left,
                total=total,
            ),
            limit="points_per_month",
            left=use.points_left,
        )
    if store.monthly_product_limit:
        for line in lines:
            product = products[line.product_id]
            left = max(store.monthly_product_limit - use.by_product.get(product.id, 0), 0)
            if line.quantity > left:
                raise _limit_reached(
                    _l(
                        "%(product)s: at most %(limit)s %(unit)s a month per household; "
                        "%(left)s left this month.",
                        product=product.name,
                        limit=store.monthly_product_limit,
                        unit=product.unit,
                        left=left,
                    ),
                    limit="quantity_per_product_per_month",
                    product_id=product.id,
                    left=left,
                )
