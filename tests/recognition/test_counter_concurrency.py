"""Counters racing on one household card whose points are half on public notice: exactly
the available half is spent (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from points_app.core.db import utcnow
from points_app.ledger import services as ledger
from points_app.ledger.pending import holdings_of
from points_app.ledger.verify import run_checks
from points_app.store import services
from tests.concurrency import run_together
from tests.recognition.test_counter import _earn_pending
from tests.store.conftest import make_household, shop, stock
from tests.store.test_concurrency import _outcomes, _redeem_in_thread, app

__all__ = ["app", "make_household", "shop"]
pytestmark = pytest.mark.slow
COUNTERS = 20


def test_counters_spend_only_the_available_half(app: Any, shop: Any, make_household: Any) -> None:
    household = make_household(points=50)
    _earn_pending(household, 50, utcnow() + dt.timedelta(days=3))
    token = services.household_card_token(household)
    store_id, clerk_id, soap_id = shop.store.id, shop.clerk.id, shop.soap.id  # 5 points

    results = run_together(
        app,
        COUNTERS,
        lambda i: _redeem_in_thread(store_id, clerk_id, token, soap_id, 1, f"half-{i}"),
    )

    assert _outcomes(results) == {"ok": 10, "insufficient_points": COUNTERS - 10}
    held = holdings_of(ledger.account_for_household(household))
    assert (held.balance, held.pending, held.available) == (50, 50, 0)
    assert stock(shop.soap) == 90
    assert all(check.is_clean for check in run_checks())
