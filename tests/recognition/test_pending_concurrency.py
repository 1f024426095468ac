"""Real concurrent spenders against a balance that is half on public notice: exactly the
available half is spent, whatever the interleaving (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from points_app.core.db import utcnow
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, TransferKind
from points_app.ledger.pending import hold_credit, holdings_of
from points_app.ledger.verify import run_checks
from tests.concurrency import spend_one_point_each
from tests.ledger.test_concurrency import SPENDERS, _accounts, _wide_app, wide_app

__all__ = ["_wide_app", "wide_app"]
pytestmark = pytest.mark.slow


def _half_pending(app: Any) -> tuple[int, int]:
    """The spender holds 10 available (from `_accounts`), gets 40 more available and 50
    pending: balance 100, available 50."""
    issuance_id, spender_id, target_id = _accounts(app)
    issuance = db.session.get(Account, issuance_id)
    spender = db.session.get(Account, spender_id)
    assert issuance is not None and spender is not None
    services.transfer(
        debit=issuance, credit=spender, amount=40, kind=TransferKind.issue, actor=None
    )
    for _ in range(5):
        award = services.transfer(
            debit=issuance, credit=spender, amount=10, kind=TransferKind.earn, actor=None
        )
        hold_credit(award, utcnow() + dt.timedelta(days=3))
    db.session.commit()
    return spender_id, target_id


@pytest.mark.parametrize("round_no", range(3))
def test_hundred_simultaneous_spends_take_only_the_available_half(
    wide_app: Any, round_no: int
) -> None:
    spender_id, target_id = _half_pending(wide_app)
    assert holdings_of(db.session.get(Account, spender_id)).available == 50

    outcomes = spend_one_point_each(wide_app, SPENDERS, spender_id, target_id)
    assert outcomes == {"ok": 50, "insufficient_points": 50}
    db.session.expire_all()
    held = holdings_of(db.session.get(Account, spender_id))
    assert (held.balance, held.pending, held.available) == (50, 50, 0)
    assert services.balance_of(db.session.get(Account, target_id)) == 50
    assert all(result.is_clean for result in run_checks())
