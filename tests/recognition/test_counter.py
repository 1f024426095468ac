"""At the love supermarket counter, points still on public notice are refused with the
date they become spendable; the rest can be spent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.ledger.pending import hold_credit, holdings_of
from points_app.ledger.verify import run_checks
from tests.store.conftest import make_household, redeem, shop

__all__ = ["make_household", "redeem", "shop"]

NOW = dt.datetime(2026, 5, 20, 4, 0, tzinfo=dt.UTC)


def _earn_pending(household: Any, amount: int, until: dt.datetime) -> None:
    issuance = ledger.system_account(household.community, AccountKind.issuance)
    account = ledger.account_for_household(household)
    db.session.flush()
    award = ledger.transfer(
        debit=issuance, credit=account, amount=amount, kind=TransferKind.earn, actor=None
    )
    hold_credit(award, until)
    db.session.commit()


def test_basket_paid_with_pending_points_is_refused_with_the_date(
    shop: Any, make_household: Any, redeem: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        household = make_household(points=10)
        _earn_pending(household, 60, dt.datetime(2026, 5, 23, 16, 0, tzinfo=dt.UTC))
        with pytest.raises(DomainError) as refused:
            redeem(household, {shop.rice: 1})
        assert refused.value.code == "insufficient_points"
        assert "60 points become spendable on" in str(refused.value.message)
        assert refused.value.details["spendable_on"] == "2026-05-24"  # local date
        redeem(household, {shop.soap: 2})  # 10 available: a 10-point basket goes through
        held = holdings_of(ledger.account_for_household(household))
        assert (held.balance, held.available) == (60, 0)
    with time_machine.travel(dt.datetime(2026, 5, 23, 16, 0, tzinfo=dt.UTC), tick=False):
        redeem(household, {shop.rice: 1})
        assert holdings_of(ledger.account_for_household(household)).balance == 0
    assert all(result.is_clean for result in run_checks())
