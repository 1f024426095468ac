"""Ledger services: accounts, transfers and reversals. They flush, never commit;
`run_in_transaction` (from `ledger.transactions`) is the edge that commits and retries."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, Update, bindparam, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from points_app.areas.models import Area, AreaLevel
from points_app.core.db import insert_row, prepared, utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import pending
from points_app.ledger.models import SYSTEM_KINDS, Account, AccountKind, Transfer, TransferKind
from points_app.ledger.transactions import is_retryable as is_retryable
from points_app.ledger.transactions import run_in_transaction as run_in_transaction

if TYPE_CHECKING:
    from points_app.people.models import Household, Organisation, Volunteer

MAX_KEY_LENGTH = 255
MAX_MEMO_LENGTH = 500


# --- accounts -------------------------------------------------------------------------


@prepared
def _account_query(owner: str) -> Select[tuple[Account]]:
    """An account by its owner: "volunteer", "organisation", "household" (`owner_id`), or
    "system" (a community's `area_id` and `kind`)."""
    if owner == "system":
        return select(Account).where(
            Account.area_id == bindparam("area_id"), Account.kind == bindparam("kind")
        )
    column = {
        "volunteer": Account.volunteer_id,
        "organisation": Account.organisation_id,
        "household": Account.household_id,
    }[owner]
    return select(Account).where(column == bindparam("owner_id"))


def _get_or_create(owner: str, params: dict[str, Any], make: Callable[[], Account]) -> Account:
    query = _account_query(owner)
    account = db.session.scalars(query, params).first()
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            account = make()
            db.session.add(account)
    except IntegrityError:
        # Someone else created it at the same moment: theirs is the one.
        return db.session.scalars(query, params).one()
    return account


def account_for_volunteer(volunteer: Volunteer) -> Account:
    """Return the volunteer's account, opening it in their home community if needed."""
    return _get_or_create(
        "volunteer",
        {"owner_id": volunteer.id},
        lambda: Account(
            kind=AccountKind.volunteer,
            volunteer_id=volunteer.id,
            area_id=volunteer.home_community_id,
        ),
    )


def account_for_household(household: Household) -> Account:
    """Return the household's account, opening it in its community if needed."""
    return _get_or_create(
        "household",
        {"owner_id": household.id},
        lambda: Account(
            kind=AccountKind.household, household_id=household.id, area_id=household.community_id
        ),
    )


def account_for_organisation(org: Organisation) -> Account:
    """Return the organisation's account, opening it in its area if needed."""
    return _get_or_create(
        "organisation",
        {"owner_id": org.id},
        lambda: Account(kind=AccountKind.organisation, organisation_id=org.id, area_id=org.area_id),
    )


def system_account(community: Area, kind: AccountKind) -> Account:
    """Return a community's issuance, store-sink or expiry account, opening it if needed."""
    if kind not in SYSTEM_KINDS:
        raise DomainError("invalid_kind", _l("That is not a system account."), 422)
    if community.level is not AreaLevel.community:
        raise DomainError("not_a_community", _l("System accounts belong to a community."), 422)
    return _get_or_create(
        "system",
        {"area_id": community.id, "kind": kind},
        lambda: Account(kind=kind, area_id=community.id),
    )


def balance_of(account: Account) -> int:
    """Return the account's balance (the cached column, read fresh from the database)."""
    balance = db.session.scalar(select(Account.balance).where(Account.id == account.id))
    if balance is None:
        raise DomainError("not_found", _l("No such account."), 404)
    set_committed_value(account, "balance", balance)
    return balance


def history(account: Account, page: int = 1, per_page: int = 30) -> tuple[list[Transfer], bool]:
    """Return one page of the account's transfers, newest first, and whether more follow."""
    page, per_page = max(page, 1), max(min(per_page, 200), 1)
    # Newest ids from each side, each read backwards along its (account, id) index, so a
    # page costs the same with ten transfers or a million (an OR would scan them all).
    wanted = page * per_page + 1
    sides = [
        select(Transfer.id)
        .where(column == account.id)
        .order_by(Transfer.id.desc())
        .limit(wanted)
        .subquery()
        for column in (Transfer.debit_account_id, Transfer.credit_account_id)
    ]
    newest = union_all(*(select(side.c.id) for side in sides)).subquery()
    ids = db.session.scalars(
        select(newest.c.id)
        .order_by(newest.c.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    rows = db.session.scalars(
        select(Transfer)
        .where(Transfer.id.in_(ids[:per_page]))
        .order_by(Transfer.id.desc())
        .options(
            joinedload(Transfer.actor),
            selectinload(Transfer.reversed_by),
            *(
                joinedload(side).selectinload(owner)
                for side in (Transfer.debit_account, Transfer.credit_account)
                for owner in (Account.volunteer, Account.organisation, Account.household)
            ),
        )
    ).all()
    return list(rows), len(ids) > per_page


# --- transfers ------------------------------------------------------------------------


def transfer(
    *,
    debit: Account,
    credit: Account,
    amount: int,
    kind: TransferKind,
    actor: Any,
    memo: str = "",
    reference: tuple[str, int] | None = None,
    idempotency_key: str | None = None,
) -> Transfer:
    """Move `amount` points from `debit` to `credit`; a user account never goes below zero.

    With an idempotency key, the same actor sending the same key and parameters again
    gets the first transfer back; different parameters are refused. Keys are per actor
    across the whole ledger, so callers should prefix them (e.g. ``"redeem:" + key``).
    """
    if kind is TransferKind.reverse:
        raise DomainError("invalid_kind", _l("Use reverse() to undo a transfer."), 422)
    return _post(
        debit=debit,
        credit=credit,
        amount=amount,
        kind=kind,
        actor=actor,
        memo=memo,
        reference=reference,
        idempotency_key=idempotency_key,
        reverses=None,
    )


def reverse(
    original: Transfer, *, actor: Any, reason: str, idempotency_key: str | None = None
) -> Transfer:
    """Undo a transfer with a reversing one (same amount, accounts swapped); once only."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Say why the transfer is reversed."), 422)
    if original.kind is TransferKind.reverse:
        raise DomainError(
            "cannot_reverse_reversal", _l("A reversal cannot itself be reversed."), 409
        )
    return _post(
        debit=original.credit_account,
        credit=original.debit_account,
        amount=original.amount,
        kind=TransferKind.reverse,
        actor=actor,
        memo=reason,
        reference=original.reference,
        idempotency_key=idempotency_key,
        reverses=original,
    )


def _actor_id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None
    return getattr(actor, "id", None)


def _check_amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError(
            "invalid_amount", _l("The number of points must be a whole number above zero."), 422
        )
    return amount


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise DomainError(
            "invalid_idempotency_key",
            _l("The idempotency key must be 1 to 255 characters."),
            422,
        )
    return key


def request_hash(
    *,
    debit_id: int,
    credit_id: int,
    amount: int,
    kind: TransferKind,
    reference: tuple[str, int] | None,
    reverses_id: int | None,
) -> str:
    """Fingerprint of what a transfer does, to tell a replay from a different request."""
    body = {
        "debit": debit_id,
        "credit": credit_id,
        "amount": amount,
        "kind": kind.value,
        "reference": list(reference) if reference else None,
        "reverses": reverses_id,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _find_by_key(actor_id: int | None, key: str) -> Transfer | None:
    actor_clause = (
        Transfer.actor_id.is_(None) if actor_id is None else Transfer.actor_id == actor_id
    )
    return db.session.scalars(
        select(Transfer).where(actor_clause, Transfer.idempotency_key == key)
    ).first()


def _replay(existing: Transfer, fingerprint: str) -> Transfer:
    if existing.request_hash != fingerprint:
        raise DomainError(
            "idempotency_mismatch",
            _l("This idempotency key was already used for a different request."),
            422,
        )
    return existing


def _refuse_if_reversed(original: Transfer) -> None:
    done = db.session.scalar(select(Transfer.id).where(Transfer.reverses_id == original.id))
    if done is not None:
        raise DomainError("already_reversed", _l("This transfer has already been reversed."), 409)


def _lock_accounts(*ids: int) -> None:
    """On PostgreSQL, lock the account rows in id order so two transfers cannot deadlock.

    SQLite needs nothing: every writing transaction starts with BEGIN IMMEDIATE.
    """
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return
    conn.execute(_lock_statement(), {"ids": sorted(set(ids))})


@prepared
def _lock_statement() -> Select[tuple[int]]:
    return (
        select(Account.id)
        .where(Account.id.in_(bindparam("ids", expanding=True)))
        .order_by(Account.id)
        .with_for_update()
    )


@prepared
def _debit_statement() -> Update:
    """Take points off an account only if it holds enough that are not on public notice
    (system accounts always may): see `ledger.pending` for the rule."""
    return (
        update(Account)
        .where(
            Account.id == bindparam("account_id"),
            or_(pending.spendable_clause(), Account.kind.in_(SYSTEM_KINDS)),
        )
        .values(balance=Account.balance - bindparam("amount"))
        .returning(Account.balance)
    )


@prepared
def _credit_statement() -> Update:
    return (
        update(Account)
        .where(Account.id == bindparam("account_id"))
        .values(balance=Account.balance + bindparam("amount"))
        .returning(Account.balance)
    )


def _move(debit: Account, credit: Account, amount: int, reversing: int | None = None) -> None:
    """Take the points off `debit` only if it holds enough, then add them to `credit`."""
    # Core statements on the session's connection: the cached balances are set by hand.
    conn = db.session.connection()
    new_debit = conn.execute(
        _debit_statement(),
        {"account_id": debit.id, "amount": amount, "now": utcnow(), "reversing": reversing or 0},
    ).scalar_one_or_none()
    if new_debit is None:
        current = db.session.scalar(select(Account.balance).where(Account.id == debit.id)) or 0
        if current >= amount:  # enough points, but some are still on public notice
            raise pending.pending_refusal(pending.holdings_of(debit), amount)
        missing = amount - current
        raise DomainError(
            "insufficient_points",
            _l("Not enough points: %(missing)s more needed.", missing=missing),
            409,
            missing=missing,
            balance=current,
        )
    new_credit = conn.execute(
        _credit_statement(), {"account_id": credit.id, "amount": amount}
    ).scalar_one()
    set_committed_value(debit, "balance", new_debit)
    set_committed_value(credit, "balance", new_credit)


def _post(
    *,
    debit: Account,
    credit: Account,
    amount: int,
    kind: TransferKind,
    actor: Any,
    memo: str,
    reference: tuple[str, int] | None,
    idempotency_key: str | None,
    reverses: Transfer | None,
) -> Transfer:
    amount = _check_amount(amount)
    key = _check_key(idempotency_key)
    if debit.id is None or credit.id is None:
        db.session.flush()
    if debit.id == credit.id:
        raise DomainError("same_account", _l("Points cannot move from an account to itself."), 422)
    actor_id = _actor_id(actor)
    fingerprint = (
        request_hash(
            debit_id=debit.id,
            credit_id=credit.id,
            amount=amount,
            kind=kind,
            reference=reference,
            reverses_id=reverses.id if reverses else None,
        )
        if key is not None
        else None
    )

    # Lock first: whatever we read after this is what the write will see.
    _lock_accounts(debit.id, credit.id)
    if key is not None and fingerprint is not None:
        existing = _find_by_key(actor_id, key)
        if existing is not None:
            return _replay(existing, fingerprint)
    if reverses is not None:
        _refuse_if_reversed(reverses)

    # Only a key or a reversal can lose a race on a unique constraint; only then is a
    # savepoint worth its two round trips. A refused move has written nothing either way.
    may_race = key is not None or reverses is not None
    try:
        with db.session.begin_nested() if may_race else contextlib.nullcontext():
            _move(debit, credit, amount, reversing=reverses.id if reverses else None)
            record = Transfer(
                debit_account_id=debit.id,
                credit_account_id=credit.id,
                amount=amount,
                kind=kind,
                memo=(memo or "").strip()[:MAX_MEMO_LENGTH],
                reference_type=reference[0] if reference else None,
                reference_id=reference[1] if reference else None,
                actor_id=actor_id,
                reverses_id=reverses.id if reverses else None,
                idempotency_key=key,
                request_hash=fingerprint,
            )
            insert_row(record)
    except BaseException as error:
        db.session.expire(debit, ["balance"])
        db.session.expire(credit, ["balance"])
        if not isinstance(error, IntegrityError):
            raise
        # Lost a race to a request with the same key, or to a reversal of the same
        # transfer: the savepoint undid our attempt; answer as if we had come second.
        if key is not None and fingerprint is not None:
            existing = _find_by_key(actor_id, key)
            if existing is not None:
                return _replay(existing, fingerprint)
        if reverses is not None:
            _refuse_if_reversed(reverses)
        raise
    return record
