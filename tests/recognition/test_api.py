"""`GET /api/v1/accounts/{id}` splits the balance into available and pending points; the
balance keeps its meaning (all the account's points)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from points_app.core.db import utcnow
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.ledger.pending import hold_credit
from tests.api.test_ledger_api import _matches_document


def test_account_shows_available_and_pending_points(
    app: Any, client: Any, api_headers: Any, tree: Any, people: Any
) -> None:
    issuance = ledger.system_account(tree["community_a"], AccountKind.issuance)
    account = ledger.account_for_volunteer(people["v"])
    ledger.transfer(debit=issuance, credit=account, amount=3, kind=TransferKind.issue, actor=None)
    award = ledger.transfer(
        debit=issuance, credit=account, amount=4, kind=TransferKind.earn, actor=None
    )
    hold_credit(award, utcnow() + dt.timedelta(days=2))
    db.session.commit()
    response = client.get(
        f"/api/v1/accounts/{account.id}", headers=api_headers(people["committee"])
    )
    body = response.json
    assert (body["balance"], body["available"], body["pending"]) == (7, 3, 4)
    assert [p["points"] for p in body["pending_until"]] == [4]
    _matches_document(app, "/api/v1/accounts/{account_id}", "get", 200, body)
