"""Accounts and the append-only transfers between them (double entry)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.append_only import make_append_only
from points_app.core.db import utcnow
from points_app.extensions import Model

if TYPE_CHECKING:
    from points_app.people.models import Household, Organisation, Volunteer


class AccountKind(enum.StrEnum):
    """Who an account belongs to: a person, an organisation, a household or the system."""

    volunteer = "volunteer"
    organisation = "organisation"
    household = "household"
    issuance = "issuance"  # mints points for service; goes negative
    store_sink = "store_sink"  # receives points spent at the love supermarket
    expiry = "expiry"  # receives points that expire

    @property
    def is_system(self) -> bool:
        return self in SYSTEM_KINDS


SYSTEM_KINDS = frozenset({AccountKind.issuance, AccountKind.store_sink, AccountKind.expiry})
_SYSTEM_SQL = "('issuance', 'store_sink', 'expiry')"


class TransferKind(enum.StrEnum):
    """Why points moved."""

    issue = "issue"  # the committee grants points from the issuance account
    earn = "earn"  # points for approved service
    give = "give"  # a volunteer or organisation gives to a paired household
    redeem = "redeem"  # a household spends at the love supermarket
    reverse = "reverse"  # undoes an earlier transfer
    adjust = "adjust"  # a correction by the committee
    expire = "expire"  # points expire to the expiry account


class Account(Model):
    """A points account of a volunteer, organisation, household or of the community system."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'volunteer' AND volunteer_id IS NOT NULL"
            " AND organisation_id IS NULL AND household_id IS NULL)"
            " OR (kind = 'organisation' AND organisation_id IS NOT NULL"
            " AND volunteer_id IS NULL AND household_id IS NULL)"
            " OR (kind = 'household' AND household_id IS NOT NULL"
            " AND volunteer_id IS NULL AND organisation_id IS NULL)"
            f" OR (kind IN {_SYSTEM_SQL} AND volunteer_id IS NULL"
            " AND organisation_id IS NULL AND household_id IS NULL)",
            name="owner_matches_kind",
        ),
        CheckConstraint(f"balance >= 0 OR kind IN {_SYSTEM_SQL}", name="balance_not_negative"),
        Index(
            "uq_accounts_system_area_kind",
            "area_id",
            "kind",
            unique=True,
            sqlite_where=text(f"kind IN {_SYSTEM_SQL}"),
            postgresql_where=text(f"kind IN {_SYSTEM_SQL}"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(
        Enum(AccountKind, name="account_kind", native_enum=False, length=20)
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), unique=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), unique=True)
    balance: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    community: Mapped[Area] = relationship(lazy="joined")
    volunteer: Mapped[Volunteer | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    household: Mapped[Household | None] = relationship()

    @property
    def area(self) -> Area:
        return self.community

    @property
    def is_system(self) -> bool:
        return self.kind in SYSTEM_KINDS

    @property
    def owner(self) -> Volunteer | Organisation | Household | None:
        """The volunteer, organisation or household; None for a system account."""
        return self.volunteer or self.organisation or self.household

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.kind} balance={self.balance}>"


class Transfer(Model):
    """One movement of points from one account to another. Never updated, never deleted."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("debit_account_id <> credit_account_id", name="different_accounts"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'reverse') = (reverses_id IS NOT NULL)", name="reverse_names_original"
        ),
        CheckConstraint(
            "(reference_type IS NULL) = (reference_id IS NULL)", name="reference_complete"
        ),
        CheckConstraint("(idempotency_key IS NULL) = (request_hash IS NULL)", name="key_has_hash"),
        UniqueConstraint("actor_id", "idempotency_key", name="uq_transfers_actor_key"),
        Index("ix_transfers_debit_id", "debit_account_id", "id"),
        Index("ix_transfers_credit_id", "credit_account_id", "id"),
        Index("ix_transfers_reference", "reference_type", "reference_id"),
        # Covers the reports' points figures for a period (no table reads).
        Index(
            "ix_transfers_created_at",
            "created_at",
            "kind",
            "debit_account_id",
            "credit_account_id",
            "amount",
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int]
    kind: Mapped[TransferKind] = mapped_column(
        Enum(TransferKind, name="transfer_kind", native_enum=False, length=20)
    )
    memo: Mapped[str] = mapped_column(String(500), default="")
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    debit_account: Mapped[Account] = relationship(foreign_keys=[debit_account_id], lazy="joined")
    credit_account: Mapped[Account] = relationship(foreign_keys=[credit_account_id], lazy="joined")
    actor: Mapped[User | None] = relationship()
    reverses: Mapped[Transfer | None] = relationship(remote_side=[id], back_populates="reversed_by")
    reversed_by: Mapped[Transfer | None] = relationship(back_populates="reverses")

    @property
    def reference(self) -> tuple[str, int] | None:
        if self.reference_type is None or self.reference_id is None:
            return None
        return (self.reference_type, self.reference_id)

    @property
    def area(self) -> Area:
        """The community whose ledger this belongs to: the system side's, else the payer's."""
        if self.credit_account.is_system and not self.debit_account.is_system:
            return self.credit_account.area
        return self.debit_account.area

    def counterparty(self, account: Account) -> Account:
        """The other account of this transfer, seen from `account`."""
        if account.id == self.debit_account_id:
            return self.credit_account
        return self.debit_account

    def signed_amount(self, account: Account) -> int:
        """The amount as it changed `account`: negative when it paid."""
        return -self.amount if account.id == self.debit_account_id else self.amount

    def __repr__(self) -> str:
        return (
            f"<Transfer {self.id} {self.kind} {self.amount} "
            f"{self.debit_account_id}->{self.credit_account_id}>"
        )


# Transfers are append-only: the database itself refuses to change or remove one.
# The same statements are in the migration (0002); keep the two in step.
make_append_only(Transfer, "transfers")
