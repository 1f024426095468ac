"""The love supermarket: stores, products, stock moves, redemptions and their lines."""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.append_only import make_append_only
from points_app.core.db import utcnow
from points_app.extensions import Model
from points_app.ledger.models import Transfer
from points_app.people.models import Household, Organisation


class ProductCategory(enum.StrEnum):
    """What shelf a product sits on."""

    grain_oil = "grain_oil"  # 粮油
    food = "food"  # 食品
    daily = "daily"  # 日用品
    cleaning = "cleaning"  # 清洁用品
    clothing = "clothing"  # 衣物
    stationery = "stationery"  # 文具
    other = "other"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])


CATEGORY_LABELS = {
    ProductCategory.grain_oil: _l("Grain and oil"),
    ProductCategory.food: _l("Food"),
    ProductCategory.daily: _l("Daily necessities"),
    ProductCategory.cleaning: _l("Cleaning"),
    ProductCategory.clothing: _l("Clothing"),
    ProductCategory.stationery: _l("Stationery"),
    ProductCategory.other: _l("Other"),
}


class StockMoveKind(enum.StrEnum):
    """Why stock changed. In: donation, purchase, transfer_in, void_return; out: redemption,
    transfer_out; adjustment either way (with a reason)."""

    donation = "donation"
    purchase = "purchase"
    transfer_in = "transfer_in"
    transfer_out = "transfer_out"
    redemption = "redemption"
    void_return = "void_return"
    adjustment = "adjustment"

    @property
    def label(self) -> str:
        return str(MOVE_LABELS[self])


MOVE_LABELS = {
    StockMoveKind.donation: _l("Donation"),
    StockMoveKind.purchase: _l("Purchase"),
    StockMoveKind.transfer_in: _l("Transfer in"),
    StockMoveKind.transfer_out: _l("Transfer out"),
    StockMoveKind.redemption: _l("Redemption"),
    StockMoveKind.void_return: _l("Returned by a void"),
    StockMoveKind.adjustment: _l("Adjustment"),
}


class RedemptionStatus(enum.StrEnum):
    """A redemption is completed, or voided later (points and stock back)."""

    completed = "completed"
    voided = "voided"


class Store(Model):
    """A love supermarket (爱心超市) of a community, with its opening hours and limits."""

    __tablename__ = "stores"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint(
            "monthly_points_limit IS NULL OR monthly_points_limit > 0", name="points_limit_positive"
        ),
        CheckConstraint(
            "monthly_visits_limit IS NULL OR monthly_visits_limit > 0", name="visits_limit_positive"
        ),
        CheckConstraint(
            "monthly_product_limit IS NULL OR monthly_product_limit > 0",
            name="product_limit_positive",
        ),
        CheckConstraint("void_days >= 0", name="void_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # Limits per household per calendar month (local time); NULL means no limit.
    monthly_points_limit: Mapped[int | None]
    monthly_visits_limit: Mapped[int | None]
    monthly_product_limit: Mapped[int | None]  # of each product
    # A redemption may be voided on its own day, plus this many days after.
    void_days: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    community: Mapped[Area] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.community

    def __repr__(self) -> str:
        return f"<Store {self.id} {self.name}>"


class Product(Model):
    """A product on a store's shelf; `stock` is changed only by stock moves."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("store_id", "name"),
        # A barcode names one product per store (NULLs never clash).
        UniqueConstraint("store_id", "barcode"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("points_price > 0", name="price_positive"),
        CheckConstraint("low_stock_at >= 0", name="low_stock_not_negative"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[ProductCategory] = mapped_column(
        Enum(ProductCategory, name="product_category", native_enum=False, length=20)
    )
    unit: Mapped[str] = mapped_column(String(20))
    points_price: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0, server_default="0")
    low_stock_at: Mapped[int] = mapped_column(default=3)
    is_active: Mapped[bool] = mapped_column(default=True)
    has_photo: Mapped[bool] = mapped_column(default=False)
    # The code printed on the packaging (EAN-13 and the like), for a USB scanner.
    barcode: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    store: Mapped[Store] = relationship(lazy="joined")

    @property
    def area(self) -> Area:
        return self.store.community

    @property
    def is_low(self) -> bool:
        return self.stock <= self.low_stock_at

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name} stock={self.stock}>"


class ProductPhoto(Model):
    """A product's photo, resized and re-encoded as JPEG, kept in the database so every
    worker on every machine can serve it."""

    __tablename__ = "product_photos"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Redemption(Model):
    """A household spending points on a basket at a store: one ledger transfer and one
    stock move per line, written together. Voiding reverses both."""

    __tablename__ = "redemptions"
    __table_args__ = (
        UniqueConstraint("clerk_id", "idempotency_key", name="uq_redemptions_clerk_key"),
        CheckConstraint("total_points > 0", name="total_positive"),
        CheckConstraint("item_count > 0", name="items_positive"),
        CheckConstraint("(status = 'voided') = (voided_at IS NOT NULL)", name="voided_has_time"),
        Index("ix_redemptions_household_created", "household_id", "created_at"),
        Index("ix_redemptions_store_created", "store_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    clerk_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    total_points: Mapped[int]
    item_count: Mapped[int]
    balance_after: Mapped[int]
    status: Mapped[RedemptionStatus] = mapped_column(
        Enum(RedemptionStatus, name="redemption_status", native_enum=False, length=20),
        default=RedemptionStatus.completed,
    )
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[dt.datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(String(200))
    void_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)

    store: Mapped[Store] = relationship(lazy="joined")
    household: Mapped[Household] = relationship(lazy="joined")
    clerk: Mapped[User] = relationship(foreign_keys=[clerk_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])
    transfer: Mapped[Transfer | None] = relationship(foreign_keys=[transfer_id])
    lines: Mapped[list[RedemptionLine]] = relationship(
        back_populates="redemption", order_by="RedemptionLine.id", lazy="selectin"
    )

    @property
    def area(self) -> Area:
        return self.store.community

    @property
    def is_voided(self) -> bool:
        return self.status is RedemptionStatus.voided


class RedemptionLine(Model):
    """One product in a redemption, with the name and price as they were at the time."""

    __tablename__ = "redemption_lines"
    __table_args__ = (
        UniqueConstraint("redemption_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points_price > 0", name="price_positive"),
        CheckConstraint("line_points = quantity * points_price", name="line_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    redemption_id: Mapped[int] = mapped_column(
        ForeignKey("redemptions.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int]
    points_price: Mapped[int]
    line_points: Mapped[int]

    redemption: Mapped[Redemption] = relationship(back_populates="lines")


class StockMove(Model):
    """One change of a product's stock, append-only; `stock_after` is the level it left."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint("stock_after >= 0", name="stock_after_not_negative"),
        CheckConstraint(
            "(kind IN ('donation', 'purchase', 'transfer_in', 'void_return') AND quantity > 0)"
            " OR (kind IN ('redemption', 'transfer_out') AND quantity < 0)"
            " OR kind = 'adjustment'",
            name="sign_matches_kind",
        ),
        CheckConstraint(
            "(kind IN ('redemption', 'void_return')) = (redemption_id IS NOT NULL)",
            name="redemption_moves_name_it",
        ),
        CheckConstraint(
            "donor_organisation_id IS NULL OR kind = 'donation'", name="donor_only_on_donation"
        ),
        CheckConstraint(
            "(kind IN ('transfer_in', 'transfer_out')) = (other_store_id IS NOT NULL)",
            name="transfer_names_store",
        ),
        CheckConstraint("kind <> 'adjustment' OR length(reason) > 0", name="adjustment_has_reason"),
        Index("ix_stock_moves_product_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[StockMoveKind] = mapped_column(
        Enum(StockMoveKind, name="stock_move_kind", native_enum=False, length=20)
    )
    quantity: Mapped[int]
    stock_after: Mapped[int]
    donor_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    other_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    product: Mapped[Product] = relationship(lazy="joined")
    donor: Mapped[Organisation | None] = relationship()
    other_store: Mapped[Store | None] = relationship()
    actor: Mapped[User | None] = relationship()

    @property
    def area(self) -> Area:
        return self.product.store.community


# Stock moves are append-only, like transfers: the database refuses to change or remove one.
# The same statements are in the migration (0006); keep the two in step.
make_append_only(StockMove, "stock moves")
