"""Public notice (公示): awards wait on notice, the monthly notice sheet, objections (异议).

An award made while its community posts a notice is credited at once but held as a
pending credit until the notice ends (`ledger.pending`). During the notice a committee
member may record an objection against one award; the committee lets it stand, or
reverses the award (a reversing transfer) while it is still pending. After the date the
award is final and an objection is refused.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from points_app.areas.models import Area
from points_app.core.audit import record
from points_app.core.clock import local_date, local_zone
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.ledger.pending import PendingCredit, hold_credit
from points_app.recognition.models import Objection, ObjectionState
from points_app.recognition.settings import notice_until

NOTICED_KINDS = (TransferKind.earn,)


def hold_award(transfer: Transfer, community: Area, now: dt.datetime | None = None) -> None:
    """Put an award on the community's public notice, if it posts one (once per transfer)."""
    until = notice_until(community, now)
    if until is None:
        return
    held = db.session.scalar(
        select(PendingCredit.id).where(PendingCredit.transfer_id == transfer.id)
    )
    if held is None:
        hold_credit(transfer, until)


# --- the notice sheet -------------------------------------------------------------------


@dataclass
class NoticeLine:
    """One award on the notice, with its final date and any objections."""

    transfer: Transfer
    until: dt.datetime | None
    is_reversed: bool
    objections: list[Objection] = field(default_factory=list)

    @property
    def open_objection(self) -> Objection | None:
        return next((o for o in self.objections if o.state is ObjectionState.open), None)


@dataclass
class NoticeRow:
    """What one recipient was awarded in the month, and when the last of it is final."""

    name: str
    kind: AccountKind
    points: int
    awards: int
    final_on: dt.date | None


@dataclass
class NoticeSheet:
    """A community's notice for a month: per volunteer/organisation, per household, lines."""

    community: Area
    month: dt.date  # the first day
    people: list[NoticeRow]
    households: list[NoticeRow]
    lines: list[NoticeLine]

    @property
    def total(self) -> int:
        return sum(r.points for r in self.people) + sum(r.points for r in self.households)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC moments a local calendar month starts and ends."""
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    zone = local_zone()
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone).astimezone(dt.UTC),
        dt.datetime.combine(end, dt.time(), tzinfo=zone).astimezone(dt.UTC),
    )


def _recipient(account: Account) -> tuple[str, str]:
    """(grouping key, shown name): households masked, people and organisations by name."""
    if account.household is not None:
        return f"h{account.household.id}", account.household.masked_name
    if account.volunteer is not None:
        return f"v{account.volunteer.id}", account.volunteer.real_name
    if account.organisation is not None:
        return f"o{account.organisation.id}", account.organisation.name
    return f"a{account.id}", str(account.id)


def notice_sheet(community: Area, month: dt.date) -> NoticeSheet:
    """The awards a community made in a local month, as its public notice lists them."""
    start, end = month_bounds(month)
    issuance = ledger.system_account(community, AccountKind.issuance)
    reversal = aliased(Transfer)
    rows = db.session.execute(
        select(Transfer, PendingCredit.until_at, reversal.id)
        .outerjoin(PendingCredit, PendingCredit.transfer_id == Transfer.id)
        .outerjoin(reversal, reversal.reverses_id == Transfer.id)
        .where(
            Transfer.debit_account_id == issuance.id,
            Transfer.kind.in_(NOTICED_KINDS),
            Transfer.created_at >= start,
            Transfer.created_at < end,
        )
        .order_by(Transfer.id)
    ).all()
    objections: dict[int, list[Objection]] = defaultdict(list)
    ids = [row[0].id for row in rows]
    if ids:
        for objection in db.session.scalars(
            select(Objection).where(Objection.transfer_id.in_(ids)).order_by(Objection.id)
        ):
            objections[objection.transfer_id].append(objection)
    lines = [
        NoticeLine(
            transfer=t, until=until, is_reversed=rev is not None, objections=objections[t.id]
        )
        for t, until, rev in rows
    ]
    groups: dict[str, NoticeRow] = {}
    for line in lines:
        if line.is_reversed:
            continue
        account = line.transfer.credit_account
        key, name = _recipient(account)
        row = groups.setdefault(key, NoticeRow(name, account.kind, 0, 0, None))
        row.points += line.transfer.amount
        row.awards += 1
        final = local_date(line.until) if line.until else local_date(line.transfer.created_at)
        row.final_on = max(row.final_on, final) if row.final_on else final
    people = [r for r in groups.values() if r.kind is not AccountKind.household]
    households = [r for r in groups.values() if r.kind is AccountKind.household]
    return NoticeSheet(community, month.replace(day=1), people, households, lines)


# --- objections -------------------------------------------------------------------------


def _noticed_award(transfer: Transfer, community: Area) -> PendingCredit | None:
    issuance = ledger.system_account(community, AccountKind.issuance)
    if transfer.debit_account_id != issuance.id or transfer.kind not in NOTICED_KINDS:
        raise DomainError(
            "not_noticed", _l("This is not an award on this community's notice."), 422
        )
    return db.session.scalars(
        select(PendingCredit).where(PendingCredit.transfer_id == transfer.id)
    ).first()


def _final_refusal(until: dt.datetime | None) -> DomainError:
    if until is None:
        return DomainError(
            "notice_closed", _l("This award was not on public notice: it was final at once."), 409
        )
    return DomainError(
        "notice_closed",
        _l(
            "The public notice of this award ended on %(date)s: it is final.",
            date=format_date(local_date(until)),
        ),
        409,
    )


def raise_objection(
    transfer: Transfer,
    community: Area,
    *,
    reason: str,
    actor: Any,
    now: dt.datetime | None = None,
) -> Objection:
    """Record an objection (异议) against an award while it is on public notice."""
    now = now or utcnow()
    if not can(actor, Permission.issue_points, community):
        raise Forbidden(str(_l("You may not record objections in this community.")))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Say what the objection is."), 422)
    held = _noticed_award(transfer, community)
    if held is None or held.until_at <= now:
        raise _final_refusal(held.until_at if held else None)
    if _is_reversed(transfer):
        raise DomainError("already_reversed", _l("This award has already been reversed."), 409)
    existing = db.session.scalar(
        select(Objection.id).where(
            Objection.transfer_id == transfer.id, Objection.state == ObjectionState.open
        )
    )
    if existing is not None:
        raise DomainError(
            "objection_open", _l("An objection against this award is already open."), 409
        )
    objection = Objection(
        transfer_id=transfer.id,
        community_id=community.id,
        reason=reason[:500],
        raised_by_id=getattr(actor, "id", None),
        raised_at=now,
    )
    db.session.add(objection)
    db.session.flush()
    record(actor, "objection.raise", "transfer", transfer.id, objection=objection.id)
    return objection


def _is_reversed(transfer: Transfer) -> bool:
    done = db.session.scalar(select(Transfer.id).where(Transfer.reverses_id == transfer.id))
    return done is not None


def resolve_objection(
    objection: Objection,
    *,
    reverse: bool,
    note: str,
    actor: Any,
    now: dt.datetime | None = None,
) -> Objection:
    """Let an objected award stand, or reverse it while it is still pending."""
    now = now or utcnow()
    if not can(actor, Permission.reverse_transfers, objection.community):
        raise Forbidden(str(_l("You may not resolve objections in this community.")))
    objection = db.session.scalars(
        select(Objection)
        .where(Objection.id == objection.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if objection.state is not ObjectionState.open:
        raise DomainError("objection_resolved", _l("This objection is already resolved."), 409)
    note = (note or "").strip()
    if reverse:
        held = _noticed_award(objection.transfer, objection.community)
        if held is None or held.until_at <= now:
            raise _final_refusal(held.until_at if held else None)
        if not note:
            raise DomainError("reason_required", _l("Say why the award is reversed."), 422)
        reversal = ledger.reverse(
            objection.transfer,
            actor=actor,
            reason=str(_l("Objection upheld: %(note)s", note=note)),
            idempotency_key=f"objection:{objection.id}",
        )
        objection.reversal_id = reversal.id
        objection.state = ObjectionState.reversed
    else:
        objection.state = ObjectionState.stood
    objection.resolution_note = note[:500]
    objection.resolved_at = now
    objection.resolved_by_id = getattr(actor, "id", None)
    record(actor, "objection.resolve", "objection", objection.id, state=objection.state.value)
    db.session.flush()
    return objection
