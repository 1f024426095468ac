"""Love supermarket services: cards, stock moves, redemptions and voids.

They take the actor explicitly, flush and never commit. Points move only through the
ledger and stock only through `_move_stock`, in the caller's one transaction. Rows are
locked in one order everywhere — the household's account, then products by id, then
(inside the ledger) the store sink — so two counters cannot deadlock each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Insert, Select, Update, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from points_app.accounts.models import User
from points_app.areas.models import Area, AreaLevel
from points_app.core import audit, qr
from points_app.core.clock import local_date, local_zone
from points_app.core.db import prepared, utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import Account, AccountKind, TransferKind
from points_app.people.models import Household, Organisation
from points_app.store.models import (
    Product,
    ProductCategory,
    Redemption,
    RedemptionLine,
    RedemptionStatus,
    StockMove,
    StockMoveKind,
    Store,
)

MAX_LINE_QUANTITY = 999
MAX_LINES = 100
MAX_STOCK_QUANTITY = 100_000
MAX_KEY_LENGTH = 255


# --- time ---------------------------------------------------------------------------


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start (inclusive) and end (exclusive) of a local day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=local_zone())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=local_zone())
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_bounds(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start (inclusive) and end (exclusive) of the local month holding `moment`."""
    local = moment.astimezone(local_zone())
    start = dt.datetime(local.year, local.month, 1, tzinfo=local_zone())
    nxt = dt.datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=local_zone())
    return start.astimezone(dt.UTC), nxt.astimezone(dt.UTC)


# --- cards --------------------------------------------------------------------------


def household_card_token(household: Household) -> str:
    """The signed token a household's current card carries (no name, no number)."""
    return qr.sign("household", household.id, household.card_version)


def _card_refusal(code: str, message: Any, status: int) -> DomainError:
    return DomainError(code, message, status)


@prepared
def _household_query() -> Select[tuple[Household]]:
    # Areas load only if asked for (a permission check does): most scans never need them.
    return (
        select(Household)
        .where(Household.id == bindparam("id"))
        .options(lazyload(Household.community), lazyload(Household.grid))
    )


def resolve_household_card(
    scanned: qr.ScannedCode | str,
    *,
    community: Area | None = None,
    actor: Any = None,
) -> Household:
    """Return the household a scanned card belongs to, or refuse with a reason a clerk
    understands: `invalid_code` (forged, damaged, not a household card), `card_revoked`
    (an old card after a new one was issued), `household_inactive`, `other_community`
    (the card is for another community's store, or outside the actor's areas)."""
    scanned = _household_code(scanned)
    household = db.session.scalars(_household_query(), {"id": scanned.object_id}).first()
    return _check_card(scanned, household, community=community, actor=actor)


def _household_code(scanned: qr.ScannedCode | str) -> qr.ScannedCode:
    if isinstance(scanned, str):
        scanned = qr.verify(scanned)
    if scanned.kind != "household":
        raise _card_refusal(
            "invalid_code",
            _l("This is not a household card. Scan the household's love supermarket card."),
            400,
        )
    return scanned


def _check_card(
    scanned: qr.ScannedCode, household: Household | None, *, community: Area | None, actor: Any
) -> Household:
    """The card's household if the card may be used here; else the refusal."""
    if household is None:
        raise _card_refusal(
            "invalid_code",
            _l("This card belongs to no household. Ask the community office for a new card."),
            400,
        )
    if scanned.extra != household.card_version:
        raise _card_refusal(
            "card_revoked",
            _l(
                "This card was replaced by a newer one (reported lost). Ask the household "
                "for its new card, or the community office to print one."
            ),
            410,
        )
    if not household.is_active:
        raise _card_refusal(
            "household_inactive",
            _l("This household is no longer registered. Ask the community office."),
            410,
        )
    in_community = community is None or household.community_id == community.id
    in_actor_areas = actor is None or can(actor, Permission.redeem, household.community)
    if not (in_community and in_actor_areas):
        raise _card_refusal(
            "other_community",
            _l(
                "This card belongs to a household of another community; it can be used only "
                "at that community's love supermarket."
            ),
            403,
        )
    return household


def household_balance(household: Household) -> int:
    """The household's points balance, without opening an account for it (a page read)."""
    balance = db.session.scalar(select(Account.balance).where(Account.household_id == household.id))
    return int(balance or 0)


def replace_household_card(household: Household, *, actor: Any) -> int:
    """Report a card lost: issue the next card version; the old card stops working at once."""
    new_version = db.session.execute(
        update(Household)
        .where(Household.id == household.id)
        .values(card_version=Household.card_version + 1)
        .returning(Household.card_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(household, "card_version", new_version)
    audit.record(
        actor, "household_card_replaced", "household", household.id, card_version=new_version
    )
    db.session.flush()
    return int(new_version)


# --- stores and products ------------------------------------------------------------


def _clean(text: str | None, limit: int) -> str:
    return (text or "").strip()[:limit]


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
) -> Product:
    """Put a new product on a store's shelf, with no stock yet (stock comes by stock-in)."""
    name = _clean(name, 100)
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
    )
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product_created", "product", product.id, store_id=store.id)
    return product


PRODUCT_FIELDS = ("name", "category", "unit", "points_price", "low_stock_at", "is_active")


def update_product(product: Product, *, actor: Any, **changes: Any) -> Product:
    """Change a product's name, category, unit, price, low-stock level or whether it is on sale."""
    for key, value in changes.items():
        if key not in PRODUCT_FIELDS:
            raise TypeError(key)
        if key in ("name", "unit"):
            changes[key] = _clean(value, 100 if key == "name" else 20)
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


# --- stock --------------------------------------------------------------------------


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


# --- redemptions ---------------------------------------------------------------------


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


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None) if actor is not None else None


def _is_postgres() -> bool:
    return db.session.connection().dialect.name == "postgresql"


@prepared
def _household_account_query(lock: bool) -> Select[tuple[Account]]:
    query = (
        select(Account)
        .where(Account.household_id == bindparam("household_id"))
        .execution_options(populate_existing=True)
    )
    return query.with_for_update(of=Account) if lock else query


def _locked_household_account(household: Household) -> Account:
    """The household's account, locked first and read fresh (balance included).

    On PostgreSQL the row lock (`SELECT … FOR UPDATE`) serialises every redemption and
    void of one household, so balances and monthly limits are checked on settled data.
    SQLite needs no lock: the transaction began IMMEDIATE. One statement either way,
    unless the household has no account yet.
    """
    query = _household_account_query(lock=_is_postgres())
    params = {"household_id": household.id}
    account = db.session.scalars(query, params).first()
    if account is None:
        ledger.account_for_household(household)
        db.session.flush()
        account = db.session.scalars(query, params).one()
    return account


@prepared
def _household_with_account_query(lock: bool) -> Select[tuple[Household, Account]]:
    query = (
        select(Household, Account)
        .join(Account, Account.household_id == Household.id)
        .where(Household.id == bindparam("id"))
        .options(lazyload(Household.community), lazyload(Household.grid))
        .execution_options(populate_existing=True)
    )
    return query.with_for_update(of=Account) if lock else query


def _redeeming_household(scanned: qr.ScannedCode, store: Store) -> tuple[Household, Account]:
    """The card's household, checked, and its account, locked and read fresh (see
    `_locked_household_account`): one statement, unless the household has no account yet
    or does not exist, when the slower path opens the account or refuses the card."""
    scanned = _household_code(scanned)
    row = db.session.execute(
        _household_with_account_query(lock=_is_postgres()), {"id": scanned.object_id}
    ).first()
    if row is None:
        household = resolve_household_card(scanned, community=store.community)
        return household, _locked_household_account(household)
    household = _check_card(scanned, row.Household, community=store.community, actor=None)
    return household, row.Account


def _fingerprint(store_id: int, household_id: int, lines: list[BasketLine]) -> str:
    body = {
        "store": store_id,
        "household": household_id,
        "lines": [[line.product_id, line.quantity] for line in lines],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@prepared
def _key_query() -> Select[tuple[int]]:
    return select(Redemption.id).where(
        Redemption.clerk_id == bindparam("clerk_id"),
        Redemption.idempotency_key == bindparam("key"),
    )


def _find_by_key(clerk_id: int, key: str) -> Redemption | None:
    # Most keys are new: look for the id alone, load the redemption only when there is one.
    found = db.session.scalar(_key_query(), {"clerk_id": clerk_id, "key": key})
    return db.session.get(Redemption, found) if found is not None else None


def _replay(existing: Redemption, fingerprint: str) -> Redemption:
    if existing.request_hash != fingerprint:
        raise DomainError(
            "idempotency_mismatch",
            _l("This basket was already confirmed with different contents. Start a new basket."),
            422,
        )
    return existing


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
                "Monthly visit limit reached: %(limit)s visits a month at this store.",
                limit=store.monthly_visits_limit,
            ),
            limit="visits_per_month",
            left=0,
        )
    if use.points_left is not None and total > use.points_left:
        raise _limit_reached(
            _l(
                "Monthly points limit: %(limit)s points a month at this store; "
                "%(left)s left this month, this basket needs %(total)s.",
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


def redeem_basket(
    *,
    store: Store,
    card: str | qr.ScannedCode,
    lines: list[BasketLine],
    actor: User,
    idempotency_key: str,
    key_claimed: bool = False,
    now: dt.datetime | None = None,
) -> Redemption:
    """Spend a household's points on a basket: points to the store sink and stock out,
    together or not at all. The same clerk sending the same key again gets the first
    redemption back; a different basket under that key is refused.

    `key_claimed=True` says the caller has claimed this key for this clerk earlier in
    the same transaction (the API's idempotency record does), so no other request with
    it can be running now: on PostgreSQL the re-check after the lock and the savepoint
    that catches a lost race on the key are skipped.
    """
    now = now or utcnow()
    if not can(actor, Permission.redeem, store.community):
        raise Forbidden(str(_l("You may not redeem at this store.")))
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise DomainError(
            "validation_error", _l("The basket has no valid idempotency key. Reload the page."), 422
        )
    if not lines:
        raise DomainError("empty_basket", _l("The basket is empty: add at least one product."), 422)
    if not store.is_active:
        raise DomainError("store_closed", _l("This store is closed."), 409)
    scanned = qr.verify(card) if isinstance(card, str) else card
    fingerprint = _fingerprint(store.id, scanned.object_id, lines)

    # A replay must answer the same even if the card has been replaced since.
    existing = _find_by_key(actor.id, idempotency_key)
    if existing is not None:
        return _replay(existing, fingerprint)

    household, account = _redeeming_household(scanned, store)
    # PostgreSQL: another request with this key may have committed while we waited.
    may_race = _is_postgres() and not key_claimed
    if may_race:
        existing = _find_by_key(actor.id, idempotency_key)
        if existing is not None:
            return _replay(existing, fingerprint)

    products = _load_products(store, lines)
    total = sum(products[line.product_id].points_price * line.quantity for line in lines)
    balance = account.balance  # read with the lock
    if total > balance:
        raise DomainError(
            "insufficient_points",
            _l(
                "Not enough points: the basket costs %(total)s, the household has %(balance)s; "
                "remove items worth %(missing)s.",
                total=total,
                balance=balance,
                missing=total - balance,
            ),
            409,
            missing=total - balance,
            balance=balance,
            total=total,
        )
    _check_limits(store, household, products, lines, total, now)
    # Everything checkable is checked; from here every failure undoes all of it.
    for line in lines:
        product = products[line.product_id]
        if product.stock < line.quantity:
            raise _out_of_stock(product, product.stock)

    redemption = Redemption(
        store_id=store.id,
        household_id=household.id,
        clerk_id=actor.id,
        total_points=total,
        item_count=sum(line.quantity for line in lines),
        balance_after=balance - total,  # exact: the account is ours until the commit
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        created_at=now,
        household=household,
        lines=[
            RedemptionLine(
                product_id=line.product_id,
                product_name=products[line.product_id].name,
                unit=products[line.product_id].unit,
                quantity=line.quantity,
                points_price=products[line.product_id].points_price,
                line_points=products[line.product_id].points_price * line.quantity,
            )
            for line in lines
        ],
    )
    # Everything not shared with other counters first; the rows every counter of the store
    # writes (products, then the store sink) last, so their locks are held briefly.
    sink = ledger.system_account(store.community, AccountKind.store_sink)
    try:
        with db.session.begin_nested() if may_race else contextlib.nullcontext():
            db.session.add(redemption)
            db.session.flush()
    except IntegrityError:
        # PostgreSQL: a request with the same key won the race to the unique index.
        existing = _find_by_key(actor.id, idempotency_key)
        if existing is None:
            raise
        return _replay(existing, fingerprint)

    # Stock out, product id ascending (lines are sorted): the same order everywhere.
    # The moves are written in one statement: nothing here needs them as objects.
    moves = [
        {
            "product_id": line.product_id, "kind": StockMoveKind.redemption,
            "quantity": -line.quantity,
            "stock_after": _move_stock(products[line.product_id], -line.quantity),
            "actor_id": actor.id, "created_at": now, "redemption_id": redemption.id,
        }
        for line in lines
    ]  # fmt: skip
    conn = db.session.connection()
    conn.execute(_stock_moves_insert(), moves)
    transfer = ledger.transfer(
        debit=account,
        credit=sink,
        amount=total,
        kind=TransferKind.redeem,
        actor=actor,
        memo=store.name,
        reference=("redemption", redemption.id),
        debit_locked=True,  # the household's account, locked when it was read
    )
    conn.execute(
        _redemption_transfer_statement(),
        {"redemption_id": redemption.id, "new_transfer_id": transfer.id},
    )
    set_committed_value(redemption, "transfer_id", transfer.id)
    return redemption


@prepared
def _stock_moves_insert() -> Insert:
    return insert(StockMove)


@prepared
def _redemption_transfer_statement() -> Update:
    return (
        update(Redemption)
        .where(Redemption.id == bindparam("redemption_id"))
        .values(transfer_id=bindparam("new_transfer_id"))
    )


def void_deadline(redemption: Redemption) -> dt.date:
    """The last local day on which a redemption may be voided."""
    return local_date(redemption.created_at) + dt.timedelta(days=redemption.store.void_days)


def void_redemption(
    redemption: Redemption, *, actor: User, reason: str, now: dt.datetime | None = None
) -> Redemption:
    """Undo a redemption: the points go back by a reversing transfer, the stock by moves
    back in. Only by a user who may void, with a reason, within the store's void window."""
    now = now or utcnow()
    if not can(actor, Permission.void_redemption, redemption.area):
        raise Forbidden(str(_l("You may not void redemptions at this store.")))
    reason = _clean(reason, 200)
    if not reason:
        raise DomainError("reason_required", _l("Say why the redemption is voided."), 422)
    _locked_household_account(redemption.household)
    db.session.refresh(redemption)
    if redemption.status is RedemptionStatus.voided:
        raise DomainError("already_voided", _l("This redemption was already voided."), 409)
    if local_date(now) > void_deadline(redemption):
        raise DomainError(
            "void_window_passed",
            _l(
                "This redemption is from %(day)s; it can no longer be voided here. "
                "Ask the community committee to correct it.",
                day=local_date(redemption.created_at).isoformat(),
            ),
            409,
        )
    assert redemption.transfer is not None
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product).where(Product.id.in_([line.product_id for line in redemption.lines]))
        )
    }
    for line in sorted(redemption.lines, key=lambda item: item.product_id):
        _record_move(
            products[line.product_id], StockMoveKind.void_return, line.quantity, actor=actor,
            now=now, redemption_id=redemption.id, reason=reason,
        )  # fmt: skip
    reversal = ledger.reverse(redemption.transfer, actor=actor, reason=reason)
    redemption.status = RedemptionStatus.voided
    redemption.voided_at = now
    redemption.voided_by_id = actor.id
    redemption.void_reason = reason
    redemption.void_transfer_id = reversal.id
    db.session.flush()
    audit.record(actor, "redemption_voided", "redemption", redemption.id)
    return redemption


# --- reading ------------------------------------------------------------------------


@dataclass
class DaySummary:
    """A store's day at the counter."""

    day: dt.date
    redemptions: int = 0
    points: int = 0
    items: int = 0
    households: int = 0
    voided: int = 0
    by_product: list[tuple[str, str, int, int]] = field(default_factory=list)


def day_summary(store: Store, day: dt.date) -> DaySummary:
    """Redemptions, points and items of one local day (voided ones counted apart)."""
    start, end = day_bounds(day)
    base = (
        Redemption.store_id == store.id,
        Redemption.created_at >= start,
        Redemption.created_at < end,
    )
    done = (*base, Redemption.status == RedemptionStatus.completed)
    count, points, items, households = db.session.execute(
        select(
            func.count(Redemption.id),
            func.coalesce(func.sum(Redemption.total_points), 0),
            func.coalesce(func.sum(Redemption.item_count), 0),
            func.count(func.distinct(Redemption.household_id)),
        ).where(*done)
    ).one()
    voided = db.session.scalar(
        select(func.count(Redemption.id)).where(*base, Redemption.status == RedemptionStatus.voided)
    )
    rows = db.session.execute(
        select(
            RedemptionLine.product_name,
            RedemptionLine.unit,
            func.sum(RedemptionLine.quantity),
            func.sum(RedemptionLine.line_points),
        )
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .where(*done)
        .group_by(RedemptionLine.product_name, RedemptionLine.unit)
        .order_by(func.sum(RedemptionLine.quantity).desc(), RedemptionLine.product_name)
    ).all()
    return DaySummary(
        day=day,
        redemptions=int(count),
        points=int(points),
        items=int(items),
        households=int(households),
        voided=int(voided or 0),
        by_product=[(r[0], r[1], int(r[2]), int(r[3])) for r in rows],
    )
