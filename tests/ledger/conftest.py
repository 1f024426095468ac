"""Ledger fixtures: people with accounts in community A."""

from __future__ import annotations

from typing import Any

import pytest

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, TransferKind
from points_app.people.models import (
    Household,
    HouseholdCategory,
    Organisation,
    OrganisationKind,
    Volunteer,
)


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A committee member, two volunteers, an organisation and a household in community A,
    and a household in community B."""
    a, b = tree["community_a"], tree["community_b"]
    committee = make_user(Role.committee, a, username="committee_a")
    v1 = Volunteer(real_name="张伟", phone="13900000001", home_community=a)
    v2 = Volunteer(real_name="李娜", phone="13900000002", home_community=a)
    org = Organisation(name="红帆志愿服务队", kind=OrganisationKind.volunteer_team, area=a)
    h1 = Household(
        public_no="A-H001", head_name="王英", address="社区A1幢101室", community=a,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    h2 = Household(
        public_no="B-H001", head_name="赵英", address="社区B1幢101室", community=b,
        category=HouseholdCategory.tekun,
    )  # fmt: skip
    db.session.add_all([v1, v2, org, h1, h2])
    db.session.commit()
    return {"committee": committee, "v1": v1, "v2": v2, "org": org, "h1": h1, "h2": h2}


@pytest.fixture
def issue(people: dict[str, Any], tree: dict[str, Any]) -> Any:
    """issue(account, amount): grant points from community A's issuance account, committed."""

    def grant(account: Account, amount: int) -> None:
        source = services.system_account(tree["community_a"], AccountKind.issuance)
        services.transfer(
            debit=source, credit=account, amount=amount, kind=TransferKind.issue,
            actor=people["committee"], memo="grant",
        )  # fmt: skip
        db.session.commit()

    return grant
