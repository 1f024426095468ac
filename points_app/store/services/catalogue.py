"""Stores and their products."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from points_app.areas.models import Area, AreaLevel
from points_app.core import audit
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store.models import (
    Product,
    ProductCategory,
    Store,
)
from points_app.store.services.common import _clean


def create_store(
    *,
    community: Area,
    name: str,
    actor: Any,
    opening_hours: str = "",
    address: str = "",
    monthly_points_limit: int | None = None,
    monthly_visits_limit: int | None = None,
    monthly_product_limit: int | None = None,
    void_days: int = 0,
) -> Store:
    """Open a love supermarket in a community."""
    if community.level is not AreaLevel.community:
        raise DomainError("not_a_community", _l("A store belongs to a community."), 422)
    name = _clean(name, 100)
    if not name:
        raise DomainError("validation_error", _l("Give the store a name."), 422)
    if db.session.scalar(
        select(Store.id).where(Store.community_id == community.id, Store.name == name)
    ):
        raise DomainError("duplicate", _l("This community already has a store of that name."), 409)
    store = Store(
        community_id=community.id,
        community=community,
        name=name,
        opening_hours=_clean(opening_hours, 200),
        address=_clean(address, 200),
        monthly_points_limit=monthly_points_limit or None,
        monthly_visits_limit=monthly_visits_limit or None,
        monthly_product_limit=monthly_product_limit or None,
        void_days=max(void_days, 0),
    )
    db.session.add(store)
    db.session.flush()
    audit.record(actor, "store_created", "store", store.id)
    return store


STORE_FIELDS = (
    "name",
    "opening_hours",
    "address",
    "monthly_points_limit",
    "monthly_visits_limit",
    "monthly_product_limit",
    "void_days",
    "is_active",
)


def update_store(store: Store, *, actor: Any, **changes: Any) -> Store:
    """Change a store's name, hours, address, limits or void window."""
    for key, value in changes.items():
        if key not in STORE_FIELDS:
            raise TypeError(key)
        if key in ("name", "opening_hours", "address"):
            value = _clean(value, 200 if key != "name" else 100)
        if key.startswith("monthly_"):
            value = value or None
        setattr(store, key, value)
    if not store.name:
        raise DomainError("validation_error", _l("Give the store a name."), 422)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            "duplicate", _l("This community already has a store of that name."), 409
        ) from None
    audit.record(actor, "store_updated", "store", store.id, fields=sorted(changes))
    return store


def create_product(
    store: Store,
    *,
    name: str,
    category: ProductCategory,
    unit: str,
    points_price: int,
    actor: Any,
    low_stock_at: int = 3,
    barcode: str | None = None,
) -> Product:
    """Put a new product on a store's shelf, with no stock yet (stock comes by stock-in)."""
    name = _clean(name, 100)
    barcode = _clean_barcode(barcode)
    _check_barcode_free(store, barcode, None)
    if not name or not _clean(unit, 20):
        raise DomainError("validation_error", _l("A product needs a name and a unit."), 422)
    if not isinstance(points_price, int) or points_price <= 0:
        raise DomainError("validation_error", _l("The price must be at least 1 point."), 422)
    same_name = select(Product.id).where(Product.store_id == store.id, Product.name == name)
    if db.session.scalar(same_name):
        raise DomainError(
            "duplicate", _l("This store already has a product called %(name)s.", name=name), 409
        )
    product = Product(
        store_id=store.id,
        store=store,
        name=name,
        category=ProductCategory(category),
        unit=_clean(unit, 20),
        points_price=points_price,
        low_stock_at=max(low_stock_at, 0),
        barcode=barcode,
    )
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product_created", "product", product.id, store_id=store.id)
    return product


PRODUCT_FIELDS = (
    "name", "category", "unit", "points_price", "low_stock_at", "is_active", "barcode",
)  # fmt: skip


def _clean_barcode(value: str | None) -> str | None:
    """A barcode as the scanner types it, without spaces; empty means none."""
    cleaned = "".join((value or "").split())[:64]
    if cleaned and not cleaned.isprintable():
        raise DomainError("validation_error", _l("A barcode is letters and digits only."), 422)
    return cleaned or None


def _check_barcode_free(store: Store, barcode: str | None, product_id: int | None) -> None:
    if barcode is None:
        return
    other = db.session.scalars(
        select(Product).where(Product.store_id == store.id, Product.barcode == barcode)
    ).first()
    if other is not None and other.id != product_id:
        raise DomainError(
            "duplicate_barcode",
            _l(
                "Barcode %(code)s is already on %(name)s at this store. Check the packaging, "
                "or remove the barcode from %(name)s first.",
                code=barcode,
                name=other.name,
            ),
            409,
        )


def update_product(product: Product, *, actor: Any, **changes: Any) -> Product:
    """Change a product's name, category, unit, price, low-stock level or whether it is on sale."""
    for key, value in changes.items():
        if key not in PRODUCT_FIELDS:
            raise TypeError(key)
        if key in ("name", "unit"):
            changes[key] = _clean(value, 100 if key == "name" else 20)
        if key == "barcode":
            changes[key] = _clean_barcode(value)
            _check_barcode_free(product.store, changes[key], product.id)
    name = changes.get("name", product.name)
    try:
        # The changes go inside the savepoint: begin_nested() flushes what is pending
        # first, and a clash flushed there would break the whole session.
        with db.session.begin_nested():
            for key, value in changes.items():
                setattr(product, key, value)
            if not product.name or not product.unit:
                raise DomainError("validation_error", _l("A product needs a name and a unit."), 422)
            if product.points_price <= 0:
                raise DomainError(
                    "validation_error", _l("The price must be at least 1 point."), 422
                )
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            "duplicate", _l("This store already has a product called %(name)s.", name=name), 409
        ) from None
    audit.record(actor, "product_updated", "product", product.id, fields=sorted(changes))
    return product


def set_product_photo(product: Product, data: bytes, *, actor: Any) -> None:
    """Store a product photo (already checked and re-encoded by `photos.prepare_photo`)."""
    from points_app.store.models import ProductPhoto

    photo = db.session.get(ProductPhoto, product.id)
    if photo is None:
        photo = ProductPhoto(product_id=product.id, content_type="image/jpeg", data=data)
        db.session.add(photo)
    else:
        photo.data = data
        photo.updated_at = utcnow()
    product.has_photo = True
    db.session.flush()
    audit.record(actor, "product_photo_set", "product", product.id)
