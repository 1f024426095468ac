"""Read-only lists for the store pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.db import prepared
from points_app.core.permissions import Permission, area_clause, can
from points_app.extensions import db
from points_app.people.models import Household
from points_app.store.models import Product, Redemption, RedemptionStatus, StockMove, Store
from points_app.store.services import day_bounds


@prepared
def _store_query() -> Select[tuple[Store]]:
    return select(Store).where(Store.id == bindparam("store_id"))


def store_for(user: Any, store_id: int, *permissions: Permission) -> Store | None:
    """The store, if the user holds one of the permissions in its community; else None.

    Every scan and redemption asks, so the query is prepared.
    """
    store = db.session.scalars(_store_query(), {"store_id": store_id}).first()
    if store is None or not any(can(user, p, store.area) for p in permissions):
        return None
    return store


def visible_stores(user: Any) -> list[Store]:
    """Stores in the areas where the user may redeem or manage the store."""
    clause = area_clause(Area.path, user, Permission.redeem) | area_clause(
        Area.path, user, Permission.manage_store
    )
    return list(
        db.session.scalars(
            select(Store).join(Area, Area.id == Store.community_id).where(clause)
            .order_by(Area.path, Store.name)
        )
    )  # fmt: skip


def store_products(store: Store, *, active_only: bool = False) -> list[Product]:
    """A store's products by category and name."""
    query = select(Product).where(Product.store_id == store.id)
    if active_only:
        query = query.where(Product.is_active.is_(True))
    return list(db.session.scalars(query.order_by(Product.category, Product.name)))


@dataclass
class HistoryFilters:
    """What the redemption history is narrowed to."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    household_no: str = ""
    status: RedemptionStatus | None = None
    clerk_id: int | None = None


def redemption_history(
    store: Store, filters: HistoryFilters, *, page: int, per_page: int
) -> tuple[list[Redemption], bool]:
    """One page of a store's redemptions, newest first, and whether more follow."""
    query: Select[Any] = select(Redemption).where(Redemption.store_id == store.id)
    if filters.date_from:
        query = query.where(Redemption.created_at >= day_bounds(filters.date_from)[0])
    if filters.date_to:
        query = query.where(Redemption.created_at < day_bounds(filters.date_to)[1])
    if filters.household_no:
        query = query.join(Household, Household.id == Redemption.household_id).where(
            Household.public_no.contains(filters.household_no, autoescape=True)
        )
    if filters.status:
        query = query.where(Redemption.status == filters.status)
    if filters.clerk_id:
        query = query.where(Redemption.clerk_id == filters.clerk_id)
    rows = list(
        db.session.scalars(
            query.order_by(Redemption.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def store_clerks(store: Store) -> list[User]:
    """The users who have redeemed at this store, by name (for the history's filter)."""
    clerk_ids = select(Redemption.clerk_id).where(Redemption.store_id == store.id).distinct()
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(clerk_ids)).order_by(User.display_name, User.id)
        )
    )


def product_moves(product: Product, *, page: int, per_page: int) -> tuple[list[StockMove], bool]:
    """One page of a product's stock moves, newest first."""
    rows = list(
        db.session.scalars(
            select(StockMove).where(StockMove.product_id == product.id)
            .order_by(StockMove.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
        )
    )  # fmt: skip
    return rows[:per_page], len(rows) > per_page


def card_households(
    user: Any, *, community_id: int | None = None, search: str = "", ids: list[int] | None = None
) -> Select[Any]:
    """Households whose cards the user may print, as a query (ordered by public number)."""
    query = (
        select(Household)
        .join(Area, Area.id == Household.community_id)
        .where(area_clause(Area.path, user, Permission.manage_store), Household.is_active.is_(True))
    )
    if community_id:
        query = query.where(Household.community_id == community_id)
    if search:
        query = query.where(Household.public_no.contains(search, autoescape=True))
    if ids is not None:
        query = query.where(Household.id.in_(ids))
    return query.order_by(Household.public_no)
