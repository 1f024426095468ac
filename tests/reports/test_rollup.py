"""Stored day totals of the points figures (`points_app/reports/rollup.py`).

The March fixture's transfers (tests/reports/conftest.py), by local day:
- 28 Feb 23:00: 1 point issued in B (15:00 UTC, so still February in Shanghai);
- 10 Mar: 3 + 2 issued in A, the 2 earned straight into A's household (given);
- 12 Mar: 1 given to A's household by a volunteer;
- 13 Mar: the 3 reversed back into A's issuance account (issued −3);
- 20 Mar: 2 redeemed (neither issued nor given).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from points_app.core.clock import local_today
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import verify
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.reports import rollup
from points_app.reports.figures import compute_figures
from points_app.reports.models import LedgerDayTotal
from points_app.reports.period import Period
from tests.concurrency import run_together
from tests.reports.conftest import EXPECTED_MARCH, TODAY

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
D = dt.date


def _stored() -> dict[tuple[dt.date, int], tuple[int, int]]:
    return {
        (row.day, row.area_id): (row.points_issued, row.points_given)
        for row in db.session.scalars(select(LedgerDayTotal))
    }


def _points(area: Any, period: Period = MARCH) -> tuple[int, int]:
    totals = compute_figures(area, period, today=TODAY).totals
    return totals["points_issued"], totals["points_given"]


def _check() -> verify.CheckResult:
    db.session.commit()  # `ledger verify` reads in a transaction of its own
    (result,) = [r for r in verify.run_checks() if r.name == "reports' day totals"]
    return result


def test_each_local_day_is_stored_per_area(march: Any, county: dict[str, Any]) -> None:
    a, b = county["community_a"].id, county["community_b"].id
    assert rollup.roll_up(D(2026, 3, 31)) == 32  # 28 Feb (the first transfer) to 31 Mar
    assert _stored() == {
        (D(2026, 2, 28), b): (1, 0),
        (D(2026, 3, 10), a): (5, 2),
        (D(2026, 3, 12), a): (0, 1),
        (D(2026, 3, 13), a): (-3, 0),
    }
    assert rollup.rolled_through() == D(2026, 3, 31)


@pytest.mark.parametrize("through", [D(2026, 3, 11), D(2026, 3, 31), D(2026, 4, 9)])
def test_figures_are_the_same_from_stored_days_and_from_transfers(
    march: Any, county: dict[str, Any], through: dt.date
) -> None:
    before = compute_figures(county["street"], MARCH, today=TODAY)
    rollup.roll_up(through)
    after = compute_figures(county["street"], MARCH, today=TODAY)
    assert after.by_community == before.by_community
    assert after.totals == before.totals
    for key in ("a", "b"):
        got = after.by_community[county[f"community_{key}"].id]
        assert (got["points_issued"], got["points_given"]) == (
            EXPECTED_MARCH[key]["points_issued"],
            EXPECTED_MARCH[key]["points_given"],
        )


def test_a_period_partly_stored_adds_the_transfers_of_the_days_after(
    march: Any, county: dict[str, Any]
) -> None:
    rollup.roll_up(D(2026, 3, 11))  # 10 Mar stored; 12 and 13 Mar only in the transfers
    db.session.execute(
        update(LedgerDayTotal)
        .where(LedgerDayTotal.day == D(2026, 3, 10))
        .values(points_issued=LedgerDayTotal.points_issued + 100)
    )
    # The stored day is what the figure reads for 10 March (so the changed row shows) …
    assert _points(county["community_a"]) == (102, 3)
    # … and the days after the stored ones come from the transfers.
    assert _points(county["community_a"], Period(D(2026, 3, 12), D(2026, 3, 13))) == (-3, 1)


def test_verify_fails_when_a_stored_day_differs_from_its_transfers(
    march: Any, county: dict[str, Any]
) -> None:
    rollup.roll_up(D(2026, 3, 31))
    assert _check().is_clean and _check().counts["days stored"] == 4
    db.session.execute(
        update(LedgerDayTotal)
        .where(LedgerDayTotal.day == D(2026, 3, 12))
        .values(points_given=LedgerDayTotal.points_given + 1)
    )
    (problem,) = _check().problems
    assert f"area {county['community_a'].id}: points_given stored 4, transfers give 3" in problem


def test_a_backdated_transfer_needs_a_rebuild_and_verify_says_so(
    march: Any, county: dict[str, Any]
) -> None:
    rollup.roll_up(D(2026, 3, 31))
    issuance = db.session.scalars(
        select(Account).where(
            Account.kind == AccountKind.issuance, Account.area_id == county["community_a"].id
        )
    ).one()
    volunteer = db.session.scalars(select(Account).where(Account.kind == AccountKind.volunteer))
    db.session.add(
        Transfer(
            debit_account_id=issuance.id, credit_account_id=next(iter(volunteer)).id,
            amount=7, kind=TransferKind.earn,
            created_at=dt.datetime(2026, 3, 5, 2, tzinfo=dt.UTC),
        )
    )  # fmt: skip
    db.session.flush()
    assert not _check().is_clean
    assert rollup.rebuild(D(2026, 3, 31)) == 32
    assert _check().is_clean
    assert _stored()[(D(2026, 3, 5), county["community_a"].id)] == (7, 0)
    assert _points(county["community_a"]) == (9, 3)


def test_rolling_up_again_adds_only_the_days_since(march: Any) -> None:
    assert rollup.roll_up(D(2026, 3, 15)) == 16  # 28 Feb … 15 Mar
    assert rollup.roll_up(D(2026, 3, 20)) == 5
    assert rollup.roll_up(D(2026, 3, 20)) == 0
    assert rollup.roll_up(D(2026, 3, 1)) == 0  # never goes back
    assert rollup.rolled_through() == D(2026, 3, 20)


@time_machine.travel(dt.datetime(2026, 4, 9, 16, 30, tzinfo=dt.UTC), tick=False)
def test_a_day_that_is_not_over_is_refused(march: Any) -> None:
    assert local_today() == D(2026, 4, 10)  # 00:30 in Shanghai, still the 9th in UTC
    with pytest.raises(DomainError) as refused:
        rollup.roll_up(local_today())
    assert refused.value.code == "day_not_over"
    assert rollup.rolled_through() is None


@time_machine.travel(dt.datetime(2026, 4, 9, 16, 30, tzinfo=dt.UTC), tick=False)
def test_cli_stores_up_to_yesterday_and_refuses_today(runner: Any, march: Any) -> None:
    result = runner.invoke(args=["report", "rollup"])
    assert result.exit_code == 0, result.output
    yesterday = local_today() - dt.timedelta(days=1)
    assert f"stored through {yesterday}" in result.output
    assert rollup.rolled_through() == yesterday
    today = runner.invoke(args=["report", "rollup", "--through", local_today().isoformat()])
    assert today.exit_code == 2 and "is not over yet" in today.output
    bad = runner.invoke(args=["report", "rollup", "--through", "31/03/2026"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    again = runner.invoke(args=["report", "rollup", "--rebuild"])
    assert again.exit_code == 0 and f"stored through {yesterday}" in again.output


def test_two_first_rollups_at_once_store_each_day_once(app: Any, march: Any) -> None:
    db.session.commit()

    def roll(_i: int) -> int:
        days = rollup.roll_up(D(2026, 3, 31))
        db.session.commit()
        return days

    results = run_together(app, 2, roll)
    assert all(isinstance(r, int) for r in results), results  # no error, no clash
    assert sorted(results) == [0, 32], results  # the second waited, then found it done
    db.session.expire_all()
    assert rollup.rolled_through() == D(2026, 3, 31)
    assert len(_stored()) == 4  # each (day, area) once: as one run stores them (above)
    assert _check().is_clean
