"""Transfers, balances, reversals and idempotency through the services."""

from __future__ import annotations

import pytest

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import AccountKind, TransferKind


def test_issue_moves_points_from_issuance_to_volunteer(people, tree, issue):
    account = services.account_for_volunteer(people["v1"])
    issue(account, 10)
    source = services.system_account(tree["community_a"], AccountKind.issuance)
    assert services.balance_of(account) == 10
    assert services.balance_of(source) == -10


def test_overdraw_is_refused_with_the_missing_amount(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 3)
    with pytest.raises(DomainError) as caught:
        services.transfer(
            debit=volunteer, credit=household, amount=5, kind=TransferKind.give,
            actor=people["committee"],
        )  # fmt: skip
    assert caught.value.code == "insufficient_points"
    assert caught.value.details["missing"] == 2
    db.session.rollback()
    assert services.balance_of(volunteer) == 3
    assert services.balance_of(household) == 0
