"""Love supermarket services: cards, stock moves, redemptions and voids.

They take the actor explicitly, flush and never commit. Points move only through the
ledger and stock only through `_move_stock`, in the caller's one transaction. Rows are
locked in one order everywhere — the household's account, then products by id, then
(inside the ledger) the store sink — so two counters cannot deadlock each other.
"""

from points_app.store.services.baskets import BasketLine, parse_lines
from points_app.store.services.cards import (
    household_balance,
    household_card_token,
    replace_household_card,
    resolve_household_card,
)
from points_app.store.services.catalogue import (
    PRODUCT_FIELDS,
    STORE_FIELDS,
    create_product,
    create_store,
    set_product_photo,
    update_product,
    update_store,
)
from points_app.store.services.common import (
    MAX_KEY_LENGTH,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    MAX_STOCK_QUANTITY,
    day_bounds,
    month_bounds,
)
from points_app.store.services.limits import MonthUse, month_use
from points_app.store.services.redemptions import DaySummary, day_summary, redeem_basket
from points_app.store.services.stock import adjust_stock, receive_stock, transfer_stock
from points_app.store.services.voids import may_void_late, void_deadline, void_redemption

__all__ = [
    "BasketLine",
    "DaySummary",
    "MAX_KEY_LENGTH",
    "MAX_LINES",
    "MAX_LINE_QUANTITY",
    "MAX_STOCK_QUANTITY",
    "MonthUse",
    "PRODUCT_FIELDS",
    "STORE_FIELDS",
    "adjust_stock",
    "create_product",
    "create_store",
    "day_bounds",
    "day_summary",
    "household_balance",
    "household_card_token",
    "month_bounds",
    "month_use",
    "parse_lines",
    "receive_stock",
    "redeem_basket",
    "replace_household_card",
    "resolve_household_card",
    "set_product_photo",
    "transfer_stock",
    "update_product",
    "update_store",
    "may_void_late",
    "void_deadline",
    "void_redemption",
]
