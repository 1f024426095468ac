"""Love supermarket API: a store's products, redeeming a basket, voiding a redemption."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import abort, request
from flask_login import current_user

from points_app.api.idempotency import HEADER, idempotent
from points_app.api.openapi import api_doc, component
from points_app.api.validation import read_json
from points_app.api.views import bp
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.store import queries, services
from points_app.store.models import (
    Product,
    ProductCategory,
    Redemption,
    RedemptionStatus,
    Store,
)

PRODUCT = component(
    "Product",
    {
        "type": "object",
        "required": ["id", "name", "category", "unit", "points_price", "stock", "is_low"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "category": {"type": "string", "enum": [c.value for c in ProductCategory]},
            "unit": {"type": "string"},
            "points_price": {"type": "integer", "minimum": 1},
            "stock": {"type": "integer", "minimum": 0},
            "is_low": {"type": "boolean", "description": "Stock at or below the warning level."},
            "barcode": {
                "type": ["string", "null"],
                "description": "The code on the packaging, unique within the store.",
            },
        },
    },
)
STORE_PRODUCTS = component(
    "StoreProducts",
    {
        "type": "object",
        "required": ["store", "products"],
        "properties": {
            "store": {
                "type": "object",
                "required": ["id", "name", "community_id", "opening_hours", "limits"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "community_id": {"type": "integer"},
                    "opening_hours": {"type": "string"},
                    "limits": {
                        "type": "object",
                        "description": "Per household per calendar month; null: no limit.",
                        "properties": {
                            "points": {"type": ["integer", "null"]},
                            "visits": {"type": ["integer", "null"]},
                            "quantity_per_product": {"type": ["integer", "null"]},
                        },
                    },
                },
            },
            "products": {"type": "array", "items": PRODUCT},
        },
    },
)
REDEMPTION_LINE = {
    "type": "object",
    "required": ["product_id", "quantity"],
    "additionalProperties": False,
    "properties": {
        "product_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "quantity": {"type": "integer", "minimum": 1, "maximum": services.MAX_LINE_QUANTITY},
    },
}
REDEMPTION_REQUEST = {
    "type": "object",
    "required": ["store_id", "card", "lines"],
    "additionalProperties": False,
    "properties": {
        "store_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "card": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "What the scanner read from the household card: its URL or token.",
        },
        "lines": {"type": "array", "minItems": 1, "maxItems": 100, "items": REDEMPTION_LINE},
    },
}
VOID_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "reason": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "default": "Voided through the API",
            "description": "Why the redemption is undone (kept on the redemption).",
        }
    },
}
REDEMPTION = component(
    "Redemption",
    {
        "type": "object",
        "required": [
            "id", "store_id", "household", "status", "total_points", "item_count",
            "balance_after", "created_at", "lines",
        ],
        "properties": {
            "id": {"type": "integer"},
            "store_id": {"type": "integer"},
            "household": {
                "type": "object",
                "required": ["id", "public_no"],
                "properties": {"id": {"type": "integer"}, "public_no": {"type": "string"}},
            },
            "status": {"type": "string", "enum": [s.value for s in RedemptionStatus]},
            "total_points": {"type": "integer"},
            "item_count": {"type": "integer"},
            "balance_after": {
                "type": "integer",
                "description": "The household's balance right after the redemption.",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "voided_at": {"type": ["string", "null"], "format": "date-time"},
            "void_reason": {"type": ["string", "null"]},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "product_id", "product_name", "unit", "quantity", "points_price",
                        "line_points",
                    ],
                    "properties": {
                        "product_id": {"type": "integer"},
                        "product_name": {"type": "string"},
                        "unit": {"type": "string"},
                        "quantity": {"type": "integer"},
                        "points_price": {"type": "integer"},
                        "line_points": {"type": "integer"},
                    },
                },
            },
        },
    },
)  # fmt: skip


def _product_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "category": product.category.value,
        "unit": product.unit,
        "points_price": product.points_price,
        "stock": product.stock,
        "is_low": product.is_low,
        "barcode": product.barcode,
    }


def redemption_json(redemption: Redemption) -> dict[str, Any]:
    """The API view of a redemption (household by public number only)."""
    return {
        "id": redemption.id,
        "store_id": redemption.store_id,
        "household": {"id": redemption.household_id, "public_no": redemption.household.public_no},
        "status": redemption.status.value,
        "total_points": redemption.total_points,
        "item_count": redemption.item_count,
        "balance_after": redemption.balance_after,
        "created_at": redemption.created_at.isoformat(),
        "voided_at": redemption.voided_at.isoformat() if redemption.voided_at else None,
        "void_reason": redemption.void_reason,
        "lines": [
            {
                "product_id": line.product_id,
                "product_name": line.product_name,
                "unit": line.unit,
                "quantity": line.quantity,
                "points_price": line.points_price,
                "line_points": line.line_points,
            }
            for line in redemption.lines
        ],
    }


def _visible_store(store_id: int, permission: Permission | None = None) -> Store:
    perms = [permission] if permission else [Permission.redeem, Permission.manage_store]
    store = queries.store_for(current_user, store_id, *perms)
    if store is None:
        abort(404)
    return store


@bp.get("/stores/<int:store_id>/products")
@api_doc(
    "A store's products on sale, with price and stock",
    tags=["store"],
    responses={200: ("The store and its products", STORE_PRODUCTS), 404: "`not_found`"},
)
def store_products(store_id: int) -> Any:
    store = _visible_store(store_id)
    return {
        "store": {
            "id": store.id,
            "name": store.name,
            "community_id": store.community_id,
            "opening_hours": store.opening_hours,
            "limits": {
                "points": store.monthly_points_limit,
                "visits": store.monthly_visits_limit,
                "quantity_per_product": store.monthly_product_limit,
            },
        },
        "products": [_product_json(p) for p in queries.store_products(store, active_only=True)],
    }


@bp.post("/redemptions")
@api_doc(
    "Redeem a basket for a household",
    description="Scan the household's card, send it with the basket. The points move "
    "to the store and the stock out together, or nothing changes. The Idempotency-Key "
    "is required: a retry gives the first redemption back.",
    tags=["store"],
    body=REDEMPTION_REQUEST,
    responses={
        201: ("The redemption", REDEMPTION),
        400: "`invalid_code`: a forged or damaged card.",
        403: "`other_community`: the card is for another community's store.",
        404: "`not_found`: no such store, or not one the caller works at.",
        409: "`insufficient_points` (`details.missing`; with points on public notice also "
        "`details.available`, `details.pending`, `details.spendable_on`), "
        "`out_of_stock` (`details.product`, `details.left`), "
        "`limit_reached` (`details.limit`), `product_unavailable`.",
        410: "`card_revoked`: the card was replaced; `household_inactive`.",
    },
)
@idempotent
def create_redemption() -> Any:
    data = read_json(REDEMPTION_REQUEST)
    store = _visible_store(data["store_id"], Permission.redeem)
    lines = services.parse_lines((line["product_id"], line["quantity"]) for line in data["lines"])
    redemption = services.redeem_basket(
        store=store,
        card=data["card"],
        lines=lines,
        actor=current_user,
        # A fixed-length key per caller: any 1-255 character header fits the column.
        idempotency_key=f"api:{current_user.id}:{_digest(request.headers[HEADER])}",
    )
    return redemption_json(redemption), 201


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@bp.post("/redemptions/<int:redemption_id>/void")
@api_doc(
    "Void a redemption: points and stock go back",
    description="By a user who may void at the store, within the store's void window "
    "(the same day by default); after it, by the community committee only.",
    tags=["store"],
    body=VOID_REQUEST,
    responses={
        200: ("The voided redemption", REDEMPTION),
        404: "`not_found`",
        409: "`already_voided`, `void_window_passed`",
    },
)
@idempotent(required=False)
def void_redemption(redemption_id: int) -> Any:
    data = read_json(VOID_REQUEST)
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or not can(current_user, Permission.void_redemption, redemption.area):
        abort(404)
    services.void_redemption(redemption, actor=current_user, reason=data["reason"])
    return redemption_json(redemption), 200
