"""Voids: a reversing transfer and the goods back, within the store's window."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.accounts.models import User
from points_app.core import audit
from points_app.core.clock import local_date
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.store.models import (
    Product,
    Redemption,
    RedemptionStatus,
    StockMoveKind,
)
from points_app.store.services.common import _clean
from points_app.store.services.redemptions import _locked_household_account
from points_app.store.services.stock import _record_move


def void_deadline(redemption: Redemption) -> dt.date:
    """The last local day on which a redemption may be voided."""
    return local_date(redemption.created_at) + dt.timedelta(days=redemption.store.void_days)


def may_void_late(actor: User, redemption: Redemption) -> bool:
    """After the void window only the community committee (who may reverse transfers in
    the redemption's community) may still void: the same void, with the same effects."""
    return can(actor, Permission.reverse_transfers, redemption.area)


def void_redemption(
    redemption: Redemption, *, actor: User, reason: str, now: dt.datetime | None = None
) -> Redemption:
    """Undo a redemption: the points go back by a reversing transfer, the stock by moves
    back in. Only by a user who may void, with a reason, within the store's void window
    (after it, only by the committee: `may_void_late`)."""
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
    is_late = local_date(now) > void_deadline(redemption)
    if is_late and not may_void_late(actor, redemption):
        raise DomainError(
            "void_window_passed",
            _l(
                "This redemption is from %(day)s, past the store's void window, so a clerk "
                "can no longer void it. Ask the community committee: they can void it from "
                "this receipt (no. %(id)s).",
                day=format_date(local_date(redemption.created_at), "long"),
                id=redemption.id,
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
    audit.record(actor, "redemption_voided", "redemption", redemption.id, late=is_late)
    return redemption
