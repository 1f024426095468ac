"""Rows about points and the love supermarket: transfers, redemptions, stock."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, or_, select

from points_app.ledger.models import AccountKind, Transfer, TransferKind
from points_app.people.models import Household
from points_app.reports import scope
from points_app.reports.figures import transfer_flows
from points_app.reports.scope import CommunityMap
from points_app.reports.sources.base import Column, Query, Source, local_text
from points_app.store.models import Product, Redemption, RedemptionStatus, Store

C = Column
COMMUNITY = C("community", _l("Community"))


def _transfers(q: Query, cm: CommunityMap) -> Select[Any]:
    debit, credit, area_id = transfer_flows()
    stmt = (
        select(
            Transfer.created_at,
            cm.community_name(area_id),
            Transfer.kind,
            Transfer.amount,
            debit.kind,
            credit.kind,
            Transfer.memo,
            Transfer.id,
        )  # fmt: skip
        .select_from(Transfer)
        .join(debit, debit.id == Transfer.debit_account_id)
        .join(credit, credit.id == Transfer.credit_account_id)
        .where(cm.covers(area_id))
        .where(scope.between(Transfer.created_at, q.period))
        .order_by(Transfer.created_at, Transfer.id)
    )
    if q.filter == "issued":
        stmt = stmt.where(
            or_(
                debit.kind == AccountKind.issuance,
                and_(credit.kind == AccountKind.issuance, Transfer.kind == TransferKind.reverse),
            )
        )
    elif q.filter == "given":
        stmt = stmt.where(
            credit.kind == AccountKind.household,
            Transfer.kind.in_([TransferKind.give, TransferKind.earn]),
        )
    return stmt


TRANSFERS = Source(
    kind="transfers",
    title=_l("Points transfers"),
    columns=(
        C("at", _l("When")),
        COMMUNITY,
        C("kind", _l("Kind")),
        C("amount", _l("Points")),
        C("from", _l("From")),
        C("to", _l("To")),
        C("memo", _l("Memo")),
        C("id", _l("No.")),
    ),  # fmt: skip
    build=_transfers,
    shape=lambda r, q: (
        local_text(r[0]),
        r[1],
        str(getattr(r[2], "value", r[2])),
        r[3],
        str(getattr(r[4], "value", r[4])),
        str(getattr(r[5], "value", r[5])),
        r[6] or "",
        r[7],
    ),  # fmt: skip
    filters=("", "issued", "given"),
)


def _redemptions(q: Query, cm: CommunityMap) -> Select[Any]:
    return (
        select(
            Redemption.created_at,
            cm.community_name(Store.community_id),
            Store.name,
            Household.public_no,
            Household.head_name,
            Redemption.item_count,
            Redemption.total_points,
            Redemption.status,
            Redemption.id,
        )  # fmt: skip
        .select_from(Redemption)
        .join(Store, Store.id == Redemption.store_id)
        .where(cm.covers(Store.community_id))
        .join(Household, Household.id == Redemption.household_id)
        .where(
            Redemption.status == RedemptionStatus.completed,
            scope.between(Redemption.created_at, q.period),
        )
        .order_by(Redemption.created_at, Redemption.id)
    )


REDEMPTIONS = Source(
    kind="redemptions",
    title=_l("Redemptions at the love supermarket"),
    columns=(
        C("at", _l("When")),
        COMMUNITY,
        C("store", _l("Store")),
        C("household", _l("Household No.")),
        C("head", _l("Head of household"), personal=True),
        C("items", _l("Items")),
        C("points", _l("Points")),
        C("status", _l("State")),
        C("id", _l("No.")),
    ),  # fmt: skip
    build=_redemptions,
    shape=lambda r, q: (
        local_text(r[0]),
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        str(getattr(r[7], "value", r[7])),
        r[8],
    ),  # fmt: skip
)


def _stock(q: Query, cm: CommunityMap) -> Select[Any]:
    return (
        select(
            cm.community_name(Store.community_id),
            Store.name,
            Product.name,
            Product.unit,
            Product.stock,
            Product.points_price,
            Product.stock * Product.points_price,
        )  # fmt: skip
        .select_from(Product)
        .join(Store, Store.id == Product.store_id)
        .where(cm.covers(Store.community_id))
        .where(Product.is_active.is_(True), Store.is_active.is_(True))
        .order_by(cm.c.community_name, Store.name, Product.name)
    )


STOCK = Source(
    kind="stock",
    title=_l("Stock on the shelves now"),
    columns=(
        COMMUNITY,
        C("store", _l("Store")),
        C("product", _l("Product")),
        C("unit", _l("Unit")),
        C("stock", _l("Stock")),
        C("price", _l("Points price")),
        C("value", _l("Value (points)")),
    ),  # fmt: skip
    build=_stock,
)
