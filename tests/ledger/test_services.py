"""Transfers, balances, reversals and idempotency through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind


def _count_transfers() -> int:
    return db.session.scalar(select(func.count(Transfer.id))) or 0


def test_issue_moves_points_from_issuance_to_volunteer(people, tree, issue):
    account = services.account_for_volunteer(people["v1"])
    issue(account, 10)
    source = services.system_account(tree["community_a"], AccountKind.issuance)
    assert services.balance_of(account) == 10
    assert services.balance_of(source) == -10


def test_accounts_are_opened_once_per_owner(people, tree):
    first = services.account_for_volunteer(people["v1"])
    db.session.commit()
    assert services.account_for_volunteer(people["v1"]).id == first.id
    household = services.account_for_household(people["h2"])
    assert household.area_id == tree["community_b"].id
    org = services.account_for_organisation(people["org"])
    assert org.kind is AccountKind.organisation
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    assert services.system_account(tree["community_a"], AccountKind.store_sink).id == sink.id
    assert services.system_account(tree["community_b"], AccountKind.store_sink).id != sink.id


def test_system_accounts_live_in_a_community(people, tree):
    with pytest.raises(DomainError) as caught:
        services.system_account(tree["street"], AccountKind.issuance)
    assert caught.value.code == "not_a_community"
    with pytest.raises(DomainError) as caught:
        services.system_account(tree["community_a"], AccountKind.volunteer)
    assert caught.value.code == "invalid_kind"


def test_overdraw_is_refused_with_the_missing_amount(app, people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 3)
    with pytest.raises(DomainError) as caught:
        services.transfer(
            debit=volunteer, credit=household, amount=5, kind=TransferKind.give,
            actor=people["committee"],
        )  # fmt: skip
    assert caught.value.code == "insufficient_points"
    assert caught.value.status == 409
    assert caught.value.details["missing"] == 2
    with app.test_request_context():
        assert str(caught.value.message) == "Not enough points: 2 more needed."
    db.session.rollback()
    assert services.balance_of(volunteer) == 3
    assert services.balance_of(household) == 0
    assert _count_transfers() == 1


def test_refused_transfer_inside_a_unit_of_work_leaves_earlier_work_alone(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 5)
    services.transfer(
        debit=volunteer, credit=household, amount=4, kind=TransferKind.give, actor=None
    )
    with pytest.raises(DomainError):
        services.transfer(
            debit=volunteer, credit=household, amount=4, kind=TransferKind.give, actor=None
        )
    assert volunteer.balance == 1
    db.session.commit()
    assert services.balance_of(volunteer) == 1
    assert services.balance_of(household) == 4


@pytest.mark.parametrize("amount", [0, -3, 2.5, True, "5"])
def test_amount_must_be_a_positive_integer(people, amount):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    with pytest.raises(DomainError) as caught:
        services.transfer(
            debit=volunteer, credit=household, amount=amount, kind=TransferKind.give, actor=None
        )
    assert caught.value.code == "invalid_amount"
    assert caught.value.status == 422


def test_transfer_to_the_same_account_is_refused(people):
    volunteer = services.account_for_volunteer(people["v1"])
    with pytest.raises(DomainError) as caught:
        services.transfer(
            debit=volunteer, credit=volunteer, amount=1, kind=TransferKind.give, actor=None
        )
    assert caught.value.code == "same_account"


def test_system_accounts_may_go_below_zero_but_people_may_not(people, tree):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    services.transfer(
        debit=issuance, credit=volunteer, amount=7, kind=TransferKind.earn, actor=None
    )
    db.session.commit()
    assert services.balance_of(issuance) == -7


def test_same_key_and_parameters_return_the_first_transfer(people, tree):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    kwargs = dict(
        debit=issuance, credit=volunteer, amount=5, kind=TransferKind.earn,
        actor=people["committee"], reference=("attendance", 9), idempotency_key="k-1",
    )  # fmt: skip
    first = services.transfer(**kwargs)
    db.session.commit()
    again = services.transfer(**kwargs, memo="a different memo does not matter")
    db.session.commit()
    assert again.id == first.id
    assert services.balance_of(volunteer) == 5
    assert _count_transfers() == 1


@pytest.mark.parametrize(
    "change", [{"amount": 6}, {"reference": ("attendance", 10)}, {"kind": TransferKind.issue}]
)
def test_same_key_with_different_parameters_is_refused(people, tree, change):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    kwargs = dict(
        debit=issuance, credit=volunteer, amount=5, kind=TransferKind.earn,
        actor=people["committee"], reference=("attendance", 9), idempotency_key="k-1",
    )  # fmt: skip
    services.transfer(**kwargs)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        services.transfer(**(kwargs | change))
    assert caught.value.code == "idempotency_mismatch"
    assert caught.value.status == 422
    db.session.rollback()
    assert _count_transfers() == 1


def test_keys_belong_to_their_actor(people, tree, make_user):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    other = make_user("committee", tree["community_a"])
    for actor in (people["committee"], other):
        services.transfer(
            debit=issuance, credit=volunteer, amount=2, kind=TransferKind.issue, actor=actor,
            idempotency_key="same",
        )  # fmt: skip
    db.session.commit()
    assert _count_transfers() == 2


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_idempotency_key_length_is_checked(people, tree, key):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    with pytest.raises(DomainError) as caught:
        services.transfer(
            debit=issuance, credit=volunteer, amount=2, kind=TransferKind.issue, actor=None,
            idempotency_key=key,
        )  # fmt: skip
    assert caught.value.code == "invalid_idempotency_key"


def test_reverse_puts_the_points_back_once(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 10)
    gift = services.transfer(
        debit=volunteer, credit=household, amount=4, kind=TransferKind.give, actor=None,
        reference=("pairing", 1),
    )  # fmt: skip
    db.session.commit()
    undo = services.reverse(gift, actor=people["committee"], reason="wrong household")
    db.session.commit()
    assert (undo.debit_account_id, undo.credit_account_id) == (household.id, volunteer.id)
    assert undo.amount == 4 and undo.kind is TransferKind.reverse
    assert undo.reverses_id == gift.id and undo.memo == "wrong household"
    assert undo.reference == ("pairing", 1)
    assert services.balance_of(volunteer) == 10
    assert services.balance_of(household) == 0
    db.session.refresh(gift)
    assert gift.reversed_by is not None and gift.reversed_by.id == undo.id

    with pytest.raises(DomainError) as caught:
        services.reverse(gift, actor=people["committee"], reason="again")
    assert caught.value.code == "already_reversed"
    assert caught.value.status == 409


def test_reversing_a_reversal_is_refused(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 10)
    grant = db.session.scalars(select(Transfer)).one()
    undo = services.reverse(grant, actor=people["committee"], reason="mistake")
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        services.reverse(undo, actor=people["committee"], reason="undo the undo")
    assert caught.value.code == "cannot_reverse_reversal"


def test_reversal_needs_a_reason(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 10)
    grant = db.session.scalars(select(Transfer)).one()
    with pytest.raises(DomainError) as caught:
        services.reverse(grant, actor=people["committee"], reason="  ")
    assert caught.value.code == "reason_required"


def test_reversal_cannot_overdraw_the_account_it_takes_back_from(people, tree, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    issue(volunteer, 5)
    gift = services.transfer(
        debit=volunteer, credit=household, amount=5, kind=TransferKind.give, actor=None
    )
    services.transfer(debit=household, credit=sink, amount=3, kind=TransferKind.redeem, actor=None)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        services.reverse(gift, actor=people["committee"], reason="mistake")
    assert caught.value.code == "insufficient_points"
    assert caught.value.details["missing"] == 3


def test_reverse_with_same_key_replays(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 10)
    grant = db.session.scalars(select(Transfer)).one()
    first = services.reverse(grant, actor=people["committee"], reason="x", idempotency_key="r1")
    db.session.commit()
    again = services.reverse(grant, actor=people["committee"], reason="x", idempotency_key="r1")
    assert again.id == first.id


def test_reverse_kind_only_through_reverse(people, tree):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    with pytest.raises(DomainError) as caught:
        services.transfer(
            debit=issuance, credit=volunteer, amount=1, kind=TransferKind.reverse, actor=None
        )
    assert caught.value.code == "invalid_kind"


def test_history_is_newest_first_and_paginated(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    for amount in range(1, 6):
        issue(volunteer, amount)
    page1, more = services.history(volunteer, page=1, per_page=2)
    assert [t.amount for t in page1] == [5, 4] and more
    page3, more = services.history(volunteer, page=3, per_page=2)
    assert [t.amount for t in page3] == [1] and not more


def test_balance_reads_the_database_not_a_stale_object(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 3)
    db.session.execute(
        Account.__table__.update().where(Account.id == volunteer.id).values(balance=8)
    )
    assert services.balance_of(volunteer) == 8
    db.session.rollback()


def test_history_pages_interleave_paid_and_received_transfers(people, tree, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 100)
    for i in range(12):
        services.transfer(
            debit=volunteer, credit=household, amount=1 + i, kind=TransferKind.give, actor=None
        )
        if i % 3 == 0:
            issue(volunteer, 5)
    db.session.commit()
    everything = db.session.scalars(select(Transfer.id).order_by(Transfer.id.desc())).all()
    seen, page, more = [], 1, True
    while more:
        rows, more = services.history(volunteer, page=page, per_page=4)
        seen += [t.id for t in rows]
        page += 1
    assert seen == list(everything)
    assert page - 1 == -(-len(everything) // 4)


def test_history_pages_hold_30_by_default_at_most_200_and_at_least_1(people, tree):
    volunteer = services.account_for_volunteer(people["v1"])
    source = services.system_account(tree["community_a"], AccountKind.issuance)
    for _ in range(201):
        services.transfer(
            debit=source, credit=volunteer, amount=1, kind=TransferKind.issue, actor=None
        )
    db.session.commit()

    def page(**kwargs):
        rows, more = services.history(volunteer, **kwargs)
        return len(rows), more

    assert page() == (30, True)
    assert page(per_page=500) == (200, True)  # at most 200 a page
    assert page(page=2, per_page=500) == (1, False)
    assert page(per_page=0) == (1, True)  # at least one
    assert page(page=0, per_page=3) == page(page=1, per_page=3) == (3, True)
    assert page(page=67, per_page=3) == (3, False)  # 201 = 67 × 3: a full last page
    assert page(page=68, per_page=3) == (0, False)


def test_the_balance_of_an_account_that_does_not_exist_is_not_found(people):
    with pytest.raises(DomainError) as missing:
        services.balance_of(Account(id=987654, kind=AccountKind.volunteer))
    error = missing.value
    assert (error.code, error.status, str(error.message)) == ("not_found", 404, "No such account.")
