"""Pending credits (公示): points that are an account's but may not be spent before a date.

The rule, in one place: an account's *available* points are its balance less the pending
credits whose date has not come, leaving out any credit whose transfer has been
reversed. Nothing is ever moved when a date passes: the same points simply stop counting
as pending, so no job has to run for a balance to be right, and two machines cannot
disagree about it. The spending check (`spendable_clause`) sits in the ledger's
conditional debit; it reads the pending rows after the account row is locked, and every
pending row is written by the transaction that credited (and so locked) that account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    bindparam,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column

from points_app.core.clock import local_date
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import Model, db
from points_app.ledger.models import SYSTEM_KINDS, Account, Transfer
from points_app.ledger.verify import CheckResult, register_check


class PendingCredit(Model):
    """The part of a transfer's credit that may not be spent before `until_at`."""

    __tablename__ = "pending_credits"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_pending_credits_account_until", "account_id", "until_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int]
    until_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def _still_pending(account_id: Any, now: Any) -> list[ColumnElement[bool]]:
    reversal = aliased(Transfer)
    return [
        PendingCredit.account_id == account_id,
        PendingCredit.until_at > now,
        ~exists().where(reversal.reverses_id == PendingCredit.transfer_id),
    ]


def spendable_clause() -> ColumnElement[bool]:
    """SQL: the row's account may give `:amount` points without touching pending ones.

    Bind parameters: `now`, `amount` and `reversing` (the transfer being reversed, or
    0): a reversal of a pending credit may take those very points back.
    """
    pending = (
        select(func.coalesce(func.sum(PendingCredit.amount), 0))
        .where(
            *_still_pending(Account.id, bindparam("now", type_=PendingCredit.until_at.type)),
            PendingCredit.transfer_id != bindparam("reversing"),
        )
        .correlate(Account)
        .scalar_subquery()
    )
    return Account.balance - pending >= bindparam("amount")


def hold_credit(transfer: Transfer, until: dt.datetime) -> PendingCredit:
    """Make a transfer's credit wait until a moment before it can be spent."""
    row = PendingCredit(
        transfer_id=transfer.id,
        account_id=transfer.credit_account_id,
        amount=transfer.amount,
        until_at=until,
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(frozen=True)
class Holdings:
    """An account's points split into what can be spent now and what waits (and till when)."""

    balance: int
    pending: int
    waiting: tuple[tuple[dt.datetime, int], ...] = ()  # (until, points), soonest first

    @property
    def available(self) -> int:
        return self.balance - self.pending

    def spendable_on(self, amount: int) -> tuple[int, dt.datetime] | None:
        """When `amount` can first be spent: (points released by then, the moment)."""
        have, released = self.available, 0
        for until, points in self.waiting:
            have += points
            released += points
            if have >= amount:
                return released, until
        return None


def holdings_of(account: Account, now: dt.datetime | None = None) -> Holdings:
    """Return the account's balance, pending and available points, read fresh."""
    now = now or utcnow()
    balance = db.session.scalar(select(Account.balance).where(Account.id == account.id)) or 0
    rows = db.session.execute(
        select(PendingCredit.until_at, func.sum(PendingCredit.amount))
        .where(*_still_pending(account.id, now))
        .group_by(PendingCredit.until_at)
        .order_by(PendingCredit.until_at)
    ).all()
    waiting = tuple((until, int(points)) for until, points in rows)
    return Holdings(balance=balance, pending=sum(p for _, p in waiting), waiting=waiting)


def pending_by_account(account_ids: list[int], now: dt.datetime | None = None) -> dict[int, int]:
    """Pending points of many accounts at once (for lists); absent means none."""
    if not account_ids:
        return {}
    now = now or utcnow()
    rows = db.session.execute(
        select(PendingCredit.account_id, func.sum(PendingCredit.amount))
        .where(*_still_pending(PendingCredit.account_id, now))
        .where(PendingCredit.account_id.in_(account_ids))
        .group_by(PendingCredit.account_id)
    ).all()
    return {account_id: int(points) for account_id, points in rows}


def refuse_pending(account: Account, amount: int, now: dt.datetime | None = None) -> None:
    """Refuse to spend `amount` when only points still on notice would cover it.

    `account.balance` must be fresh (read under the account's lock), as at the counter.
    """
    now = now or utcnow()
    waiting = db.session.scalar(
        select(func.coalesce(func.sum(PendingCredit.amount), 0)).where(
            *_still_pending(account.id, now)
        )
    )
    if not waiting or account.balance - waiting >= amount:
        return
    raise pending_refusal(holdings_of(account, now), amount)


def pending_refusal(holdings: Holdings, amount: int) -> DomainError:
    """The `insufficient_points` refusal, saying when the points become spendable."""
    missing = amount - holdings.available
    when = holdings.spendable_on(amount)
    details: dict[str, Any] = {
        "missing": missing,
        "balance": holdings.balance,
        "available": holdings.available,
        "pending": holdings.pending,
    }
    if when is None:
        message = _l(
            "Not enough spendable points: %(missing)s more needed (%(pending)s are still "
            "on public notice).",
            missing=missing,
            pending=holdings.pending,
        )
    else:
        points, until = when
        details["spendable_on"] = local_date(until).isoformat()
        message = _l(
            "Not enough spendable points: %(missing)s more needed. "
            "%(points)s points become spendable on %(date)s.",
            missing=missing,
            points=points,
            date=format_date(local_date(until)),
        )
    return DomainError("insufficient_points", message, 409, **details)


@register_check
def check_pending() -> CheckResult:
    """Each pending credit matches its transfer's credit, and no user account has spent
    points that are still pending (its available part is never below zero)."""
    result = CheckResult("pending credits")
    now = utcnow()
    rows = db.session.execute(
        select(
            PendingCredit.id,
            PendingCredit.amount,
            PendingCredit.account_id,
            Transfer.amount,
            Transfer.credit_account_id,
        ).join(Transfer, Transfer.id == PendingCredit.transfer_id)
    ).all()
    result.counts["pending credits"] = len(rows)
    for pid, amount, account_id, t_amount, t_credit in rows:
        if (amount, account_id) != (t_amount, t_credit):
            result.problems.append(
                f"pending credit {pid} ({amount} to account {account_id}) does not match "
                f"its transfer ({t_amount} to account {t_credit})"
            )
    waiting = pending_by_account(sorted({r[2] for r in rows}), now)
    result.counts["points pending"] = sum(waiting.values())
    if waiting:
        accounts = db.session.execute(
            select(Account.id, Account.kind, Account.balance).where(Account.id.in_(waiting))
        ).all()
        for account_id, kind, balance in accounts:
            if kind in SYSTEM_KINDS:
                result.problems.append(f"account {account_id} ({kind}) holds pending credits")
            elif balance < waiting[account_id]:
                result.problems.append(
                    f"account {account_id} ({kind}): balance {balance} is below its "
                    f"{waiting[account_id]} pending points (pending points were spent)"
                )
    return result
