"""Redemptions: one transfer household to store and the stock moves out, together."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Insert, Select, Update, bindparam, func, insert, select, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from points_app.accounts.models import User
from points_app.core import qr
from points_app.core.db import insert_row, insert_unless_taken, prepared, utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger import pending
from points_app.ledger import services as ledger
from points_app.ledger.models import Account, AccountKind, TransferKind
from points_app.people.models import Household
from points_app.store.models import (
    Redemption,
    RedemptionLine,
    RedemptionStatus,
    StockMove,
    StockMoveKind,
    Store,
)
from points_app.store.services.baskets import BasketLine, _load_products
from points_app.store.services.cards import _check_card, _household_code, resolve_household_card
from points_app.store.services.common import MAX_KEY_LENGTH, _is_postgres, day_bounds
from points_app.store.services.limits import _check_limits
from points_app.store.services.stock import _move_stock, _out_of_stock


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
    found = (
        db.session.connection().execute(_key_query(), {"clerk_id": clerk_id, "key": key}).scalar()
    )
    return db.session.get(Redemption, found) if found is not None else None


def _replay(existing: Redemption, fingerprint: str) -> Redemption:
    if existing.request_hash != fingerprint:
        raise DomainError(
            "idempotency_mismatch",
            _l("This basket was already confirmed with different contents. Start a new basket."),
            422,
        )
    return existing


def redeem_basket(
    *,
    store: Store,
    card: str | qr.ScannedCode,
    lines: list[BasketLine],
    actor: User,
    idempotency_key: str,
    now: dt.datetime | None = None,
) -> Redemption:
    """Spend a household's points on a basket: points to the store sink and stock out,
    together or not at all. The same clerk sending the same key again gets the first
    redemption back; a different basket under that key is refused."""
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
        raise DomainError(
            "store_closed",
            _l(
                "This store is closed: nothing was redeemed. Ask the store's manager to open "
                "it again under Love supermarket → the store → Edit."
            ),
            409,
        )
    scanned = qr.verify(card) if isinstance(card, str) else card
    fingerprint = _fingerprint(store.id, scanned.object_id, lines)

    # A replay must answer the same even if the card has been replaced since.
    existing = _find_by_key(actor.id, idempotency_key)
    if existing is not None:
        return _replay(existing, fingerprint)

    household, account = _redeeming_household(scanned, store)
    if _is_postgres():
        # A request with this key may have committed while we waited for the lock.
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
    pending.refuse_pending(account, total, now)  # points still on public notice (公示)
    _check_limits(store, household, products, lines, total, now)
    # Everything checkable is checked; from here every failure undoes all of it.
    for line in lines:
        product = products[line.product_id]
        if product.stock < line.quantity:
            raise _out_of_stock(product, product.stock)

    # Everything not shared with other counters first; the rows every counter of the store
    # writes (products, then the store sink) last, so their locks are held briefly.
    sink = ledger.system_account(store.community, AccountKind.store_sink)
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
    )
    # One statement that does nothing if the key is taken (PostgreSQL: by a request with
    # this key for another household, so under another lock, at the same moment).
    if not insert_unless_taken(redemption, unique=("clerk_id", "idempotency_key")):
        existing = _find_by_key(actor.id, idempotency_key)
        if existing is None:
            raise RuntimeError("redemption insert skipped, yet no redemption has the key")
        return _replay(existing, fingerprint)
    set_committed_value(redemption, "household", household)
    redemption_lines = [
        RedemptionLine(
            redemption_id=redemption.id,
            product_id=line.product_id,
            product_name=products[line.product_id].name,
            unit=products[line.product_id].unit,
            quantity=line.quantity,
            points_price=products[line.product_id].points_price,
            line_points=products[line.product_id].points_price * line.quantity,
        )
        for line in lines
    ]
    for line_row in redemption_lines:
        insert_row(line_row)
    set_committed_value(redemption, "lines", redemption_lines)

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
