"""The ledger's rules at their exact edges: never below zero by a single point, a
reversal mirrors its original once, an idempotency key replays exactly its own request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import AccountKind, Transfer, TransferKind


def _count() -> int:
    return int(db.session.scalar(select(func.count(Transfer.id))) or 0)


def _give(people, amount, **kwargs):
    return services.transfer(
        debit=services.account_for_volunteer(people["v1"]),
        credit=services.account_for_household(people["h1"]),
        amount=amount, kind=TransferKind.give, actor=people["committee"], **kwargs,
    )  # fmt: skip


def test_a_user_account_cannot_pay_one_point_more_than_it_holds(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 3)
    with pytest.raises(DomainError) as refused:
        _give(people, 4)
    assert refused.value.code == "insufficient_points"
    assert refused.value.details == {"missing": 1, "balance": 3}
    db.session.rollback()
    assert services.balance_of(volunteer) == 3 and _count() == 1


def test_a_user_account_may_pay_exactly_what_it_holds_down_to_zero(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 3)
    household = services.account_for_household(people["h1"])
    gift = _give(people, 3)
    # The balances on the objects in hand follow the database without a reload (read
    # before the commit expires them and before balance_of() sets them again).
    assert (volunteer.balance, household.balance) == (0, 3)
    assert gift.credit_account is household
    db.session.commit()
    assert services.balance_of(volunteer) == 0
    assert services.balance_of(services.account_for_household(people["h1"])) == 3
    assert (gift.debit_account_id, gift.amount) == (volunteer.id, 3)


def test_an_empty_account_refuses_even_one_point(people, tree):
    services.account_for_volunteer(people["v1"])
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        _give(people, 1)
    assert refused.value.details == {"missing": 1, "balance": 0}


def test_an_issuance_account_goes_below_zero_by_exactly_what_it_issues(people, tree, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 7)
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    assert services.balance_of(issuance) == -7 and services.balance_of(volunteer) == 7


def test_a_reversal_mirrors_its_original_and_restores_both_balances(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])
    issue(volunteer, 10)
    gift = _give(people, 6, reference=("pairing", 9), memo="for rice")
    reversal = services.reverse(gift, actor=people["committee"], reason="  wrong household ")
    db.session.commit()
    assert (reversal.debit_account_id, reversal.credit_account_id, reversal.amount) == (
        household.id, volunteer.id, 6,
    )  # fmt: skip
    assert reversal.kind is TransferKind.reverse and reversal.reverses_id == gift.id
    assert reversal.memo == "wrong household" and reversal.reference == ("pairing", 9)
    assert reversal.actor_id == people["committee"].id
    assert (services.balance_of(volunteer), services.balance_of(household)) == (10, 0)


def test_a_transfer_is_reversed_once_only(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    gift = _give(people, 6)
    services.reverse(gift, actor=people["committee"], reason="wrong")
    db.session.commit()
    before = _count()
    with pytest.raises(DomainError) as refused:
        services.reverse(gift, actor=people["committee"], reason="again")
    assert (refused.value.code, refused.value.status) == ("already_reversed", 409)
    db.session.rollback()
    assert _count() == before


def test_a_reversal_itself_cannot_be_reversed(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    reversal = services.reverse(_give(people, 6), actor=people["committee"], reason="wrong")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.reverse(reversal, actor=people["committee"], reason="undo the undo")
    assert (refused.value.code, refused.value.status) == ("cannot_reverse_reversal", 409)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reversal_without_a_reason_is_refused(people, issue, reason):
    issue(services.account_for_volunteer(people["v1"]), 10)
    gift = _give(people, 6)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.reverse(gift, actor=people["committee"], reason=reason)
    assert (refused.value.code, refused.value.status) == ("reason_required", 422)


def test_the_same_key_replays_the_first_transfer_and_moves_nothing_more(people, issue):
    volunteer = services.account_for_volunteer(people["v1"])
    issue(volunteer, 10)
    first = _give(people, 4, idempotency_key="k1")
    db.session.commit()
    again = _give(people, 4, idempotency_key="k1")
    db.session.commit()
    assert again.id == first.id and _count() == 2
    assert services.balance_of(volunteer) == 6
    assert first.idempotency_key == "k1" and len(first.request_hash or "") == 64


def test_the_same_key_with_another_amount_is_a_mismatch(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    _give(people, 4, idempotency_key="k1")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        _give(people, 5, idempotency_key="k1")
    assert (refused.value.code, refused.value.status) == ("idempotency_mismatch", 422)


def test_without_a_key_each_call_is_a_new_transfer(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    first, second = _give(people, 2), _give(people, 2)
    db.session.commit()
    assert first.id != second.id and first.request_hash is None
    assert first.idempotency_key is None


def test_a_reversal_replays_under_its_key_but_not_under_another(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    gift = _give(people, 6)
    first = services.reverse(gift, actor=people["committee"], reason="x", idempotency_key="r")
    db.session.commit()
    again = services.reverse(gift, actor=people["committee"], reason="x", idempotency_key="r")
    assert again.id == first.id
    with pytest.raises(DomainError) as refused:
        services.reverse(gift, actor=people["committee"], reason="x", idempotency_key="r2")
    assert refused.value.code == "already_reversed"


def test_the_request_hash_tells_every_field_apart():
    base = {
        "debit_id": 1, "credit_id": 2, "amount": 3, "kind": TransferKind.give,
        "reference": ("event", 4), "reverses_id": None,
    }  # fmt: skip
    first = services.request_hash(**base)
    assert first == services.request_hash(**base)
    for change in (
        {"debit_id": 9}, {"credit_id": 9}, {"amount": 9}, {"kind": TransferKind.earn},
        {"reference": ("event", 5)}, {"reference": None}, {"reverses_id": 1},
    ):  # fmt: skip
        assert services.request_hash(**{**base, **change}) != first, change


def test_a_memo_is_trimmed_and_cut_to_its_limit(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    gift = _give(people, 1, memo="  " + "米" * (services.MAX_MEMO_LENGTH + 5) + "  ")
    assert gift.memo == "米" * services.MAX_MEMO_LENGTH


def test_a_fingerprint_stored_today_still_matches_after_an_upgrade():
    # Stored with each keyed transfer: renaming a field would turn every replay after an
    # upgrade into a mismatch.
    assert services.request_hash(
        debit_id=1, credit_id=2, amount=3, kind=TransferKind.give, reference=("event", 4),
        reverses_id=None,
    ) == "c104274a4e20da649711744c8111761260c475138a59b5d1bc1b4dc6a5cfd7f0"  # fmt: skip


def test_a_key_used_without_an_actor_replays_too(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    args = {
        "debit": services.account_for_volunteer(people["v1"]),
        "credit": services.account_for_household(people["h1"]),
        "amount": 2, "kind": TransferKind.give, "actor": None, "idempotency_key": "sys-1",
    }  # fmt: skip
    first = services.transfer(**args)
    db.session.commit()
    assert services.transfer(**args).id == first.id


def test_refusals_of_a_second_reversal_and_a_reused_key_say_why(people, issue, app):
    issue(services.account_for_volunteer(people["v1"]), 10)
    gift = _give(people, 6, idempotency_key="k")
    services.reverse(gift, actor=people["committee"], reason="wrong")
    db.session.commit()
    with pytest.raises(DomainError) as again:
        services.reverse(gift, actor=people["committee"], reason="again")
    db.session.rollback()
    with pytest.raises(DomainError) as reused:
        _give(people, 1, idempotency_key="k")
    with app.test_request_context():
        assert str(again.value.message) == "This transfer has already been reversed."
        assert str(reused.value.message) == (
            "This idempotency key was already used for a different request."
        )


def test_a_reversal_without_a_reason_or_of_a_reversal_is_refused_and_says_why(people, issue, app):
    issue(services.account_for_volunteer(people["v1"]), 10)
    gift = _give(people, 6)
    db.session.commit()
    with pytest.raises(DomainError) as no_reason:
        services.reverse(gift, actor=people["committee"], reason="  ")
    undo = services.reverse(gift, actor=people["committee"], reason="wrong household")
    db.session.commit()
    with pytest.raises(DomainError) as twice:
        services.reverse(undo, actor=people["committee"], reason="undo the undo")
    assert (no_reason.value.code, no_reason.value.status) == ("reason_required", 422)
    assert (twice.value.code, twice.value.status) == ("cannot_reverse_reversal", 409)
    with app.test_request_context():
        assert str(no_reason.value.message) == "Say why the transfer is reversed."
        assert str(twice.value.message) == "A reversal cannot itself be reversed."
    assert undo.memo == "wrong household"


def test_a_transfer_records_its_actor_only_when_signed_in_and_enabled(people, issue, make_user):
    from points_app.accounts.models import Role

    issue(services.account_for_volunteer(people["v1"]), 10)
    assert _give(people, 1).actor_id == people["committee"].id
    disabled = make_user(Role.committee, people["h1"].community, is_enabled=False)
    args = {
        "debit": services.account_for_volunteer(people["v1"]),
        "credit": services.account_for_household(people["h1"]),
        "amount": 1, "kind": TransferKind.give,
    }  # fmt: skip
    assert services.transfer(**args, actor=disabled).actor_id is None
    assert services.transfer(**args, actor=None).actor_id is None


def test_a_malformed_transfer_is_refused_with_422_and_says_what_is_wrong(people, tree, app):
    volunteer = services.account_for_volunteer(people["v1"])
    household = services.account_for_household(people["h1"])

    def refusal(**change):
        args = {
            "debit": volunteer, "credit": household, "amount": 1, "kind": TransferKind.give,
            "actor": None,
        } | change  # fmt: skip
        with pytest.raises(DomainError) as refused:
            services.transfer(**args)
        with app.test_request_context():
            return refused.value.code, refused.value.status, str(refused.value.message)

    assert refusal(amount=0) == (
        "invalid_amount", 422, "The number of points must be a whole number above zero.",
    )  # fmt: skip
    assert refusal(idempotency_key="x" * 256) == (
        "invalid_idempotency_key", 422, "The idempotency key must be 1 to 255 characters.",
    )  # fmt: skip
    assert refusal(idempotency_key=7)[0] == "invalid_idempotency_key"
    assert refusal(credit=volunteer) == (
        "same_account", 422, "Points cannot move from an account to itself.",
    )  # fmt: skip
    assert refusal(kind=TransferKind.reverse) == (
        "invalid_kind", 422, "Use reverse() to undo a transfer.",
    )  # fmt: skip
    assert _count() == 0


def test_a_key_of_1_or_255_characters_is_accepted(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    for key in ("k", "x" * services.MAX_KEY_LENGTH):
        assert _give(people, 1, idempotency_key=key).idempotency_key == key


def test_a_system_account_of_a_wrong_kind_or_outside_a_community_says_why(tree, app):
    with pytest.raises(DomainError) as not_system:
        services.system_account(tree["community_a"], AccountKind.household)
    with pytest.raises(DomainError) as not_community:
        services.system_account(tree["street"], AccountKind.issuance)
    with app.test_request_context():
        assert (not_system.value.code, not_system.value.status) == ("invalid_kind", 422)
        assert str(not_system.value.message) == "That is not a system account."
        assert (not_community.value.code, not_community.value.status) == ("not_a_community", 422)
        assert str(not_community.value.message) == "System accounts belong to a community."
    for kind in (AccountKind.issuance, AccountKind.store_sink, AccountKind.expiry):
        account = services.system_account(tree["community_a"], kind)
        assert (account.kind, account.area_id) == (kind, tree["community_a"].id)


def test_points_on_notice_cannot_be_spent_but_their_own_reversal_takes_them_back(
    people, tree, issue
):
    import datetime as dt

    from points_app.core.db import utcnow
    from points_app.ledger.pending import hold_credit

    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    award = services.transfer(
        debit=issuance, credit=volunteer, amount=7, kind=TransferKind.earn, actor=None
    )
    assert award.id == 1  # the ledger's first transfer: no other transfer may pass for it
    hold_credit(award, utcnow() + dt.timedelta(days=1))
    db.session.commit()
    issue(volunteer, 5)
    # 12 held, 7 of them on notice: 6 is one too many, and so is the whole balance.
    for amount, missing in ((6, 1), (12, 7)):
        with pytest.raises(DomainError) as refused:
            _give(people, amount)
        db.session.rollback()
        assert refused.value.code == "insufficient_points"
        details = refused.value.details
        assert (details["missing"], details["available"], details["pending"]) == (missing, 5, 7)
    _give(people, 5)
    services.reverse(award, actor=None, reason="objection upheld")
    db.session.commit()
    assert services.balance_of(volunteer) == 0


def test_an_account_not_yet_written_is_written_before_points_move(people, tree):
    from points_app.ledger.models import Account

    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    volunteer = services.account_for_volunteer(people["v1"])
    # A new account as the credit, then (once that one is written) as the debit.
    new_receiver = Account(
        kind=AccountKind.volunteer, volunteer_id=people["v2"].id, area_id=tree["community_a"].id
    )
    db.session.add(new_receiver)
    assert new_receiver.id is None
    services.transfer(
        debit=issuance, credit=new_receiver, amount=2, kind=TransferKind.issue, actor=None
    )
    new_source = Account(kind=AccountKind.issuance, area_id=tree["community_b"].id)
    db.session.add(new_source)
    assert new_source.id is None
    services.transfer(
        debit=new_source, credit=volunteer, amount=3, kind=TransferKind.issue, actor=None
    )
    db.session.commit()
    balances = [services.balance_of(a) for a in (issuance, new_receiver, new_source, volunteer)]
    assert balances == [-2, 2, -3, 3]


def test_a_key_used_again_for_other_accounts_or_another_reversal_is_a_mismatch(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    first, second = _give(people, 2), _give(people, 2)  # the same accounts and amount
    _give(people, 1, idempotency_key="k")
    services.reverse(first, actor=people["committee"], reason="x", idempotency_key="r")
    db.session.commit()
    before = _count()
    for other in (
        {"debit": services.account_for_volunteer(people["v2"])},
        {"credit": services.account_for_organisation(people["org"])},
    ):
        args = {
            "debit": services.account_for_volunteer(people["v1"]),
            "credit": services.account_for_household(people["h1"]),
            "amount": 1, "kind": TransferKind.give, "actor": people["committee"],
            "idempotency_key": "k",
        } | other  # fmt: skip
        with pytest.raises(DomainError) as refused:
            services.transfer(**args)
        assert refused.value.code == "idempotency_mismatch", other
        db.session.rollback()
    with pytest.raises(DomainError) as refused:
        services.reverse(second, actor=people["committee"], reason="x", idempotency_key="r")
    assert refused.value.code == "idempotency_mismatch"
    db.session.rollback()
    assert _count() == before


def test_a_transfer_without_a_memo_records_an_empty_one(people, issue):
    issue(services.account_for_volunteer(people["v1"]), 10)
    assert _give(people, 1).memo == ""
    assert _give(people, 1, memo=None).memo == ""
