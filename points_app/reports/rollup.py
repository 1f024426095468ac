"""Points totals per area and local day: counted from the transfers, kept for past days.

`points_by_area` counts the points issued (net of reversals) and given to households
between two moments, per account area, straight from the transfers. `roll_up` stores
those counts for every local day that is over and not stored yet (`flask report rollup`,
nightly), and `points_in_period` answers a period from the stored days plus the
transfers of the days after them, so the figures are the same whether or not a rollup
ever ran; it only changes how much is read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from points_app.core.clock import local_date, local_today
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.ledger.verify import CheckResult, register_check
from points_app.reports.models import LedgerDayTotal, RollupMark
from points_app.reports.period import local_midnight

LEDGER = "ledger"
MEASURES = ("points_issued", "points_given")
Totals = dict[int, Counter[str]]  # area id -> measure -> points

ONE_DAY = dt.timedelta(days=1)


def _within(area_ids: list[int] | None, column: Any) -> Any:
    return true() if area_ids is None else column.in_(area_ids)


def points_by_area(start: dt.datetime, end: dt.datetime, area_ids: list[int] | None) -> Totals:
    """Points issued and given from `start` (inclusive) to `end` (exclusive), per area.

    Issued: moved out of an issuance account, less reversals back into one; counted in
    the issuance account's area. Given: earned by or given to a household; counted in the
    household account's area. `area_ids` limits both to accounts of those areas (None:
    every area). Three statements, whatever the data.
    """
    totals: Totals = {}
    issuers = {
        account_id: area_id
        for account_id, area_id in db.session.execute(
            select(Account.id, Account.area_id).where(
                Account.kind == AccountKind.issuance, _within(area_ids, Account.area_id)
            )
        )
    }
    # `+ 0`: test the ids, don't search by them. The index on the accounts would fetch every
    # transfer of all time of each issuance account; the window's slice of the covering
    # index on created_at is far smaller.
    accounts = list(issuers)
    debit_id, credit_id = Transfer.debit_account_id + 0, Transfer.credit_account_id + 0
    issued = debit_id.in_(accounts)
    unissued = credit_id.in_(accounts) & (Transfer.kind == TransferKind.reverse)
    issuer = case((issued, Transfer.debit_account_id), else_=Transfer.credit_account_id)
    in_window = (Transfer.created_at >= start) & (Transfer.created_at < end)
    by_issuer = (
        select(issuer, func.sum(case((issued, Transfer.amount), else_=-Transfer.amount)))
        .where(in_window, or_(issued, unissued))
        .group_by(issuer)
    )
    for account_id, points in db.session.execute(by_issuer):
        _add(totals, issuers[account_id], "points_issued", points)

    credit = aliased(Account, name="credit")
    households = select(Account.id).where(
        Account.kind == AccountKind.household, _within(area_ids, Account.area_id)
    )
    given = (
        select(credit.area_id, func.sum(Transfer.amount))
        .select_from(Transfer)
        .join(credit, credit.id == Transfer.credit_account_id)
        .where(
            in_window,
            Transfer.kind.in_([TransferKind.give, TransferKind.earn]),
            (Transfer.credit_account_id + 0).in_(households.scalar_subquery()),
        )
        .group_by(credit.area_id)
    )
    for area_id, points in db.session.execute(given):
        _add(totals, area_id, "points_given", points)
    return totals


def _add(totals: Totals, area_id: int, measure: str, points: Any) -> None:
    totals.setdefault(area_id, Counter())[measure] += int(points or 0)


def rolled_through() -> dt.date | None:
    """The last local day whose totals are stored (None: no rollup has run)."""
    return db.session.scalar(select(RollupMark.through_day).where(RollupMark.name == LEDGER))


def points_in_period(first: dt.date, last: dt.date, area_ids: list[int]) -> Totals:
    """Points issued and given on the local days `first`..`last`, per area of `area_ids`:
    the stored days from the rollup, the rest from the transfers (five statements)."""
    through = rolled_through()
    stored_last = min(last, through) if through is not None else first - ONE_DAY
    stored = (
        select(
            LedgerDayTotal.area_id,
            func.sum(LedgerDayTotal.points_issued),
            func.sum(LedgerDayTotal.points_given),
        )
        .where(
            LedgerDayTotal.area_id.in_(area_ids),
            LedgerDayTotal.day >= first,
            LedgerDayTotal.day <= stored_last,
        )
        .group_by(LedgerDayTotal.area_id)
    )
    totals: Totals = {}
    for area_id, issued, given in db.session.execute(stored):
        _add(totals, area_id, "points_issued", issued)
        _add(totals, area_id, "points_given", given)
    # Always asked (an empty window when the rollup covers the period), so the number of
    # statements never depends on the data.
    rest_first = max(first, stored_last + ONE_DAY)
    rest = points_by_area(
        local_midnight(rest_first), local_midnight(max(last, stored_last) + ONE_DAY), area_ids
    )
    for area_id, measures in rest.items():
        for measure, points in measures.items():
            _add(totals, area_id, measure, points)
    return totals


def roll_up(through: dt.date | None = None) -> int:
    """Store the totals of every local day after the last stored one, up to `through`
    (default: yesterday); the number of days added. Flushes, never commits.

    Today and later are refused: a day is stored only once no transfer can join it. The
    first run starts from the day of the first transfer.
    """
    last = through or local_today() - ONE_DAY
    if last >= local_today():
        raise DomainError("day_not_over", f"{last} is not over yet; roll up to yesterday.", 422)
    mark = _locked_mark(last)
    day, added = mark.through_day + ONE_DAY, 0
    while day <= last:
        totals = points_by_area(local_midnight(day), local_midnight(day + ONE_DAY), None)
        rows = [
            {"day": day, "area_id": area_id, **{m: measures[m] for m in MEASURES}}
            for area_id, measures in totals.items()
        ]
        if rows:
            db.session.execute(insert(LedgerDayTotal), rows)
        day, added = day + ONE_DAY, added + 1
    mark.through_day = max(mark.through_day, last)
    db.session.flush()
    return added


def _locked_mark(last: dt.date) -> RollupMark:
    """The rollup's mark, locked until the transaction ends; made on the first run.

    Two first runs at once both find no mark to lock. Each inserts it unless it is there:
    PostgreSQL makes the second wait for the first's insert and, once that is committed,
    leaves it be, and the second then locks and reads the first's mark (so it adds no day
    twice). SQLite's writers already take turns.
    """
    locked = select(RollupMark).where(RollupMark.name == LEDGER).with_for_update()
    mark = db.session.scalars(locked).first()
    if mark is not None:
        return mark
    first_moment = db.session.scalar(select(func.min(Transfer.created_at)))
    first = local_date(_aware(first_moment)) if first_moment else last
    insert_mark = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert_mark(RollupMark)
        .values(name=LEDGER, through_day=first - ONE_DAY, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return db.session.scalars(locked.execution_options(populate_existing=True)).one()


def rebuild(through: dt.date | None = None) -> int:
    """Drop the stored totals and store them again (after loading backdated history)."""
    db.session.execute(delete(LedgerDayTotal))
    db.session.execute(delete(RollupMark).where(RollupMark.name == LEDGER))
    return roll_up(through)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@register_check
def check_ledger_day_totals() -> CheckResult:
    """The stored day totals equal what the transfers of those days give, per area."""
    result = CheckResult("reports' day totals")
    through = rolled_through()
    if through is None:
        result.counts["days stored"] = 0
        return result
    stored: Totals = {}
    for area_id, issued, given in db.session.execute(
        select(
            LedgerDayTotal.area_id,
            func.sum(LedgerDayTotal.points_issued),
            func.sum(LedgerDayTotal.points_given),
        ).group_by(LedgerDayTotal.area_id)
    ):
        _add(stored, area_id, "points_issued", issued)
        _add(stored, area_id, "points_given", given)
    counted = points_by_area(
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC), local_midnight(through + ONE_DAY), None
    )
    result.counts["days stored"] = int(
        db.session.scalar(select(func.count(func.distinct(LedgerDayTotal.day)))) or 0
    )
    for area_id in sorted(set(stored) | set(counted)):
        for measure in MEASURES:
            kept = stored.get(area_id, Counter())[measure]
            real = counted.get(area_id, Counter())[measure]
            if kept != real:
                result.problems.append(
                    f"area {area_id}: {measure} stored {kept}, transfers give {real} "
                    f"(up to {through}); run `flask report rollup --rebuild`"
                )
    return result
