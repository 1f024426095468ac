"""Points pages: account and history, issuing with a one-time key, reversing, area limits."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import AccountKind, Transfer, TransferKind


def _transfer_count() -> int:
    return db.session.scalar(select(func.count(Transfer.id))) or 0


@pytest.fixture
def funded(people, tree, issue):
    """Volunteer 1 holds 10 points and gave 4 to household 1."""
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 10)
    services.transfer(
        debit=volunteer, credit=household, amount=4, kind=TransferKind.give, actor=None,
        memo="结对帮扶",
    )  # fmt: skip
    db.session.commit()
    return {"volunteer": volunteer, "household": household}


def test_account_page_shows_balance_and_history(login_as, people, funded):
    client = login_as(people["committee"])
    page = client.get(f"/ledger/accounts/{funded['volunteer'].id}").get_data(as_text=True)
    assert "<strong>6</strong>" in page
    assert "张伟" in page
    assert "结对帮扶" in page and "grant" in page
    assert "A-H001 王*" in page  # the household, masked
    assert "User 1" in page  # who issued


def test_history_is_paginated(login_as, people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    for _ in range(31):
        issue(volunteer, 1)
    client = login_as(people["committee"])
    first = client.get(f"/ledger/accounts/{volunteer.id}").get_data(as_text=True)
    assert f"/ledger/accounts/{volunteer.id}?page=2" in first
    second = client.get(f"/ledger/accounts/{volunteer.id}?page=2").get_data(as_text=True)
    assert second.count("Issued") >= 1 and "?page=3" not in second


def test_other_community_gets_404_for_accounts_and_transfers(
    login_as, people, funded, tree, make_user
):
    outsider = make_user(Role.committee, tree["community_b"])
    client = login_as(outsider)
    grant = db.session.scalars(select(Transfer).order_by(Transfer.id)).first()
    assert grant is not None
    for url in (
        f"/ledger/accounts/{funded['volunteer'].id}",
        f"/ledger/transfers/{grant.id}",
        f"/ledger/transfers/{grant.id}/reverse",
        f"/ledger/owners/volunteer/{people['v1'].id}",
        f"/ledger/issue?community={tree['community_a'].id}",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/ledger/transfers/{grant.id}/reverse", data={"reason": "x"})
    assert response.status_code == 404
    assert _transfer_count() == 2


def test_ids_beyond_the_database_range_are_404(login_as, people):
    client = login_as(people["committee"])
    assert client.get("/ledger/accounts/99999999999").status_code == 404
    assert client.get("/ledger/transfers/0").status_code == 404


def test_volunteer_sees_own_account_only(login_as, people, funded, make_user, tree):
    user = make_user(Role.volunteer, tree["community_a"])
    people["v1"].user_id = user.id
    db.session.commit()
    client = login_as(user)
    assert client.get(f"/ledger/accounts/{funded['volunteer'].id}").status_code == 200
    assert client.get(f"/ledger/accounts/{funded['household'].id}").status_code == 404


def test_owner_link_redirects_or_shows_an_empty_account(login_as, people, funded):
    client = login_as(people["committee"])
    response = client.get(f"/ledger/owners/household/{people['h1'].id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/ledger/accounts/{funded['household'].id}")
    page = client.get(f"/ledger/owners/volunteer/{people['v2'].id}")
    assert page.status_code == 200
    assert "<strong>0</strong>" in page.get_data(as_text=True)
    assert client.get("/ledger/owners/nobody/1").status_code == 404


def _issue_form(client, community_id: int) -> str:
    page = client.get(f"/ledger/issue?community={community_id}").get_data(as_text=True)
    match = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page) or (
        re.search(r'id="idempotency_key" name="idempotency_key" type="hidden" value="(\w+)"', page)
    )
    assert match, page
    return match.group(1)


def test_issue_form_double_submit_makes_one_transfer(login_as, people, tree):
    client = login_as(people["committee"])
    key = _issue_form(client, tree["community_a"].id)
    data = {
        "recipient": f"household:{people['h1'].id}", "amount": "25",
        "reason": "春节慰问", "idempotency_key": key,
    }  # fmt: skip
    url = f"/ledger/issue?community={tree['community_a'].id}"
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    account = services.account_for_household(people["h1"])
    assert services.balance_of(account) == 25
    assert _transfer_count() == 1
    record = db.session.scalars(select(Transfer)).one()
    assert record.kind is TransferKind.issue and record.memo == "春节慰问"
    assert record.actor_id == people["committee"].id
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    assert record.debit_account_id == issuance.id


def test_issue_to_someone_of_another_community_is_refused(login_as, people, tree):
    client = login_as(people["committee"])
    key = _issue_form(client, tree["community_a"].id)
    response = client.post(
        f"/ledger/issue?community={tree['community_a'].id}",
        data={"recipient": f"household:{people['h2'].id}", "amount": "5", "reason": "x",
              "idempotency_key": key},
    )  # fmt: skip
    assert response.status_code == 200
    assert _transfer_count() == 0


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1000001"])
def test_issue_form_checks_the_amount(login_as, people, tree, amount):
    client = login_as(people["committee"])
    key = _issue_form(client, tree["community_a"].id)
    response = client.post(
        f"/ledger/issue?community={tree['community_a'].id}",
        data={"recipient": f"volunteer:{people['v1'].id}", "amount": amount, "reason": "x",
              "idempotency_key": key},
    )  # fmt: skip
    assert response.status_code == 200
    assert _transfer_count() == 0


def test_issuing_needs_the_permission(login_as, people, tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    assert login_as(organiser).get("/ledger/issue").status_code == 403


def test_issue_page_picks_the_only_community(login_as, people, tree):
    page = login_as(people["committee"]).get("/ledger/issue").get_data(as_text=True)
    assert f'value="volunteer:{people["v1"].id}"' in page
    assert f'value="household:{people["h1"].id}"' in page
    assert f'value="household:{people["h2"].id}"' not in page


def test_reverse_with_reason_and_only_once(login_as, people, funded):
    client = login_as(people["committee"])
    gift = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.give)).one()
    page = client.get(f"/ledger/transfers/{gift.id}/reverse").get_data(as_text=True)
    assert "data-confirm=" in page
    key = re.search(r'name="idempotency_key" type="hidden" value="(\w+)"', page)
    assert key
    data = {"reason": "结对对象填错", "idempotency_key": key.group(1)}
    response = client.post(f"/ledger/transfers/{gift.id}/reverse", data=data)
    assert response.status_code == 302
    assert services.balance_of(funded["volunteer"]) == 10
    assert services.balance_of(funded["household"]) == 0
    undo = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.reverse)).one()
    assert undo.memo == "结对对象填错" and undo.reverses_id == gift.id

    again = client.post(
        f"/ledger/transfers/{gift.id}/reverse", data=data | {"idempotency_key": "other"}
    )
    assert again.status_code == 302
    assert _transfer_count() == 3
    detail = client.get(f"/ledger/transfers/{gift.id}").get_data(as_text=True)
    assert f"/ledger/transfers/{undo.id}" in detail
    history = client.get(f"/ledger/accounts/{funded['volunteer'].id}").get_data(as_text=True)
    assert f"reversed by #{undo.id}" in history


def test_reversal_needs_a_reason_on_the_page(login_as, people, funded):
    client = login_as(people["committee"])
    gift = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.give)).one()
    response = client.post(
        f"/ledger/transfers/{gift.id}/reverse", data={"reason": "", "idempotency_key": "k"}
    )
    assert response.status_code == 200
    assert _transfer_count() == 2


def test_reversing_needs_the_permission(login_as, people, funded, tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    client = login_as(organiser)
    gift = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.give)).one()
    assert client.get(f"/ledger/transfers/{gift.id}").status_code == 200
    assert client.get(f"/ledger/transfers/{gift.id}/reverse").status_code == 403


def test_refused_reversal_shows_why(login_as, people, tree, funded):
    """The household already spent the points: the reversal would overdraw it."""
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    services.transfer(
        debit=funded["household"], credit=sink, amount=3, kind=TransferKind.adjust, actor=None
    )
    db.session.commit()
    client = login_as(people["committee"])
    gift = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.give)).one()
    response = client.post(
        f"/ledger/transfers/{gift.id}/reverse", data={"reason": "x", "idempotency_key": "k"}
    )
    assert response.status_code == 200
    assert "Not enough points: 3 more needed." in response.get_data(as_text=True)


def test_store_redemptions_are_voided_at_the_store_not_here(login_as, people, tree, funded):
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    spend = services.transfer(
        debit=funded["household"], credit=sink, amount=2, kind=TransferKind.redeem, actor=None,
        reference=("redemption", 77),
    )  # fmt: skip
    db.session.commit()
    client = login_as(people["committee"])
    response = client.post(
        f"/ledger/transfers/{spend.id}/reverse", data={"reason": "x", "idempotency_key": "k"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "void it from its receipt" in page
    assert _transfer_count() == 3


def test_overview_lists_communities(login_as, people, funded):
    page = login_as(people["committee"]).get("/ledger/").get_data(as_text=True)
    assert "社区A" in page and "社区B" not in page


def test_people_pages_link_to_the_points_account(login_as, people, funded):
    client = login_as(people["committee"])
    volunteer = client.get(f"/volunteers/{people['v1'].id}").get_data(as_text=True)
    assert f"/ledger/owners/volunteer/{people['v1'].id}" in volunteer
    assert '<strong class="points-inline">6</strong>' in volunteer
    household = client.get(f"/households/{people['h1'].id}").get_data(as_text=True)
    assert f"/ledger/owners/household/{people['h1'].id}" in household
    org = client.get(f"/organisations/{people['org'].id}").get_data(as_text=True)
    assert '<strong class="points-inline">0</strong>' in org
    assert "/ledger/issue?community=" in org
