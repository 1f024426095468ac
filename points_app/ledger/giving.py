"""Who may see an account, who may move points out of it and to whom; the move itself.

- From a community's issuance account: a user who may issue points in that community,
  to a volunteer, organisation or household account of the same community (`issue`).
- From a volunteer's account: the volunteer themself (signed in as the volunteer's
  user), to a household they are paired with today (`give`).
- From an organisation's account: a user who manages people where the organisation
  is, to a household the organisation is paired with today (`give`).

Nothing else moves points by hand: households spend only at the love supermarket,
and the store and expiry accounts never pay out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.core.clock import local_today
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.people.models import Pairing

MAX_MOVE = 100_000


def _user_id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return getattr(actor, "id", None)


def is_own(actor: Any, account: Account) -> bool:
    """The account is the actor's own volunteer account."""
    user_id = _user_id(actor)
    volunteer = account.volunteer
    return user_id is not None and volunteer is not None and volunteer.user_id == user_id


def may_view(actor: Any, account: Account) -> bool:
    """Committee and organisers see the accounts of their areas; volunteers their own."""
    return can(actor, Permission.view_accounts, account.area) or is_own(actor, account)


def may_pay_from(actor: Any, account: Account) -> bool:
    """The actor may move points out of this account (to some account)."""
    if account.kind is AccountKind.issuance:
        return can(actor, Permission.issue_points, account.area)
    if account.kind is AccountKind.volunteer:
        return is_own(actor, account)
    if account.kind is AccountKind.organisation:
        organisation = account.organisation
        return organisation is not None and can(actor, Permission.manage_people, organisation.area)
    return False


def is_paired(payer: Account, receiver: Account, on: dt.date | None = None) -> bool:
    """The paying volunteer or organisation is paired with the receiving household today."""
    if receiver.kind is not AccountKind.household or receiver.household_id is None:
        return False
    if payer.kind is AccountKind.volunteer:
        partner = Pairing.volunteer_id == payer.volunteer_id
    elif payer.kind is AccountKind.organisation:
        partner = Pairing.organisation_id == payer.organisation_id
    else:
        return False
    day = on or local_today()
    found = db.session.scalar(
        select(Pairing.id)
        .where(
            partner,
            Pairing.household_id == receiver.household_id,
            Pairing.start_date <= day,
            (Pairing.end_date.is_(None)) | (Pairing.end_date >= day),
        )
        .limit(1)
    )
    return found is not None


def kind_of_move(payer: Account, receiver: Account, on: dt.date | None = None) -> TransferKind:
    """The kind of transfer a move from `payer` to `receiver` would be; refuse other moves.

    Says nothing about who moves the points: check `may_pay_from` for that.
    """
    if payer.kind is AccountKind.issuance:
        if receiver.is_system:
            raise Forbidden(_l("Points are issued to a volunteer, organisation or household."))
        if receiver.area_id != payer.area_id:
            raise Forbidden(_l("Points are issued only to accounts of the same community."))
        return TransferKind.issue
    if payer.kind in (AccountKind.volunteer, AccountKind.organisation):
        if not is_paired(payer, receiver, on):
            raise Forbidden(_l("Points can be given only to a household paired with you now."))
        return TransferKind.give
    raise Forbidden(_l("Points cannot be moved out of this account by hand."))


def move_points(
    *,
    debit: Account,
    credit: Account,
    amount: int,
    actor: Any,
    memo: str,
    idempotency_key: str | None = None,
    on: dt.date | None = None,
) -> Transfer:
    """Issue points from the issuance account, or give them to a paired household.

    Refuses with `forbidden` (403) when the actor may not pay from `debit` or `credit` is
    not a receiver it may pay; `insufficient_points` (409) when `debit` holds too little.
    """
    if not may_pay_from(actor, debit):
        raise Forbidden(_l("You may not move points out of this account."))
    kind = kind_of_move(debit, credit, on)
    memo = (memo or "").strip()
    if not memo:
        raise DomainError("memo_required", _l("Say what the points are for."), 422)
    if isinstance(amount, int) and amount > MAX_MOVE:
        raise DomainError(
            "invalid_amount",
            _l("At most %(n)s points can be moved at once.", n=MAX_MOVE),
            422,
        )
    return services.transfer(
        debit=debit,
        credit=credit,
        amount=amount,
        kind=kind,
        actor=actor,
        memo=memo,
        idempotency_key=idempotency_key,
    )
