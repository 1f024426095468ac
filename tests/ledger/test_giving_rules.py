"""Who may move points by hand and to whom (`ledger.giving`), on a frozen clock.

A volunteer or organisation gives only to a household it is paired with *today* on the
community's calendar (Asia/Shanghai): from the pairing's start date through its end date,
both included. The clock is frozen so "today", "tomorrow" and "yesterday" are fixed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.giving import (
    MAX_MOVE,
    is_paired,
    kind_of_move,
    may_pay_from,
    may_view,
    move_points,
)
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Pairing

# 01:00 on 10 March in Shanghai is still 9 March in UTC: the local day must win.
NOW = dt.datetime(2026, 3, 9, 17, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)
DAY = dt.timedelta(days=1)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def giver(frozen, people, tree, issue, make_user) -> dict[str, Any]:
    """Volunteer v1 (signed in as `user`, 50 points) and the organisation (50 points)."""
    user = make_user()
    people["v1"].user_id = user.id
    db.session.commit()
    volunteer = services.account_for_volunteer(people["v1"])
    org = services.account_for_organisation(people["org"])
    issue(volunteer, 50)
    issue(org, 50)
    return {
        "user": user, "volunteer": volunteer, "org": org,
        "household": services.account_for_household(people["h1"]),
    }  # fmt: skip


def _pair(people, *, start: dt.date, end: dt.date | None = None, who: str = "v1") -> None:
    partner = {"volunteer": people["v1"]} if who == "v1" else {"organisation": people["org"]}
    db.session.add(Pairing(household=people["h1"], start_date=start, end_date=end, **partner))
    db.session.commit()


def _give(giver, payer="volunteer", amount=5, actor=None) -> Any:
    return move_points(
        debit=giver[payer], credit=giver["household"], amount=amount,
        actor=actor or giver["user"], memo="结对帮扶",
    )  # fmt: skip


def _refused_give(giver, **kwargs) -> DomainError:
    before = services.balance_of(giver["household"])
    with pytest.raises(DomainError) as refused:
        _give(giver, **kwargs)
    db.session.rollback()
    assert services.balance_of(giver["household"]) == before
    return refused.value


def test_the_frozen_local_day_is_the_shanghai_day(frozen, app):
    from points_app.core.clock import local_today

    assert local_today() == TODAY


def test_giving_to_a_household_whose_pairing_starts_tomorrow_is_refused(giver, people):
    _pair(people, start=TODAY + DAY)
    error = _refused_give(giver)
    assert error.code == "forbidden" and error.status == 403


def test_giving_on_the_day_a_pairing_starts_is_allowed(giver, people):
    _pair(people, start=TODAY)
    transfer = _give(giver)
    db.session.commit()
    assert transfer.kind is TransferKind.give and transfer.amount == 5
    assert services.balance_of(giver["household"]) == 5
    # The gift names who gave it and what for.
    assert (transfer.actor_id, transfer.memo) == (giver["user"].id, "结对帮扶")


def test_giving_to_a_household_whose_pairing_ended_yesterday_is_refused(giver, people):
    _pair(people, start=TODAY - 30 * DAY, end=TODAY - DAY)
    assert _refused_give(giver).code == "forbidden"


def test_giving_on_the_day_a_pairing_ends_is_allowed(giver, people):
    _pair(people, start=TODAY - 30 * DAY, end=TODAY)
    _give(giver)
    db.session.commit()
    assert services.balance_of(giver["household"]) == 5


def test_giving_the_day_after_a_pairing_ends_is_refused(giver, people, frozen):
    _pair(people, start=TODAY - 30 * DAY, end=TODAY)
    frozen.shift(DAY)
    assert _refused_give(giver).code == "forbidden"


def test_an_open_ended_pairing_allows_giving(giver, people):
    _pair(people, start=TODAY - 365 * DAY)
    _give(giver)
    db.session.commit()
    assert services.balance_of(giver["household"]) == 5


def test_an_organisation_gives_only_within_its_own_pairing_dates(giver, people, make_user, tree):
    manager = make_user("committee", tree["community_a"])
    _pair(people, start=TODAY + DAY, who="org")
    assert _refused_give(giver, payer="org", actor=manager).code == "forbidden"
    _pair(people, start=TODAY - DAY, end=TODAY, who="org")
    _give(giver, payer="org", actor=manager)
    db.session.commit()
    assert services.balance_of(giver["org"]) == 45


def test_another_volunteers_pairing_does_not_let_this_one_give(giver, people):
    db.session.add(Pairing(household=people["h1"], volunteer=people["v2"], start_date=TODAY))
    db.session.commit()
    assert _refused_give(giver).code == "forbidden"


def test_is_paired_on_a_given_day_counts_both_ends(giver, people):
    _pair(people, start=TODAY, end=TODAY + 2 * DAY)
    payer, household = giver["volunteer"], giver["household"]
    assert [is_paired(payer, household, TODAY + n * DAY) for n in (-1, 0, 1, 2, 3)] == [
        False, True, True, True, False,
    ]  # fmt: skip
    assert not is_paired(household, household)
    assert not is_paired(payer, giver["org"])


def test_a_volunteer_may_pay_only_from_their_own_account(giver, people, make_user):
    assert may_pay_from(giver["user"], giver["volunteer"])
    assert not may_pay_from(make_user(), giver["volunteer"])
    assert not may_pay_from(None, giver["volunteer"])
    _pair(people, start=TODAY)
    error = _refused_give(giver, actor=make_user())
    assert error.code == "forbidden"


def test_nobody_pays_out_of_a_household_or_the_store_by_hand(giver, people, tree, make_user):
    admin = make_user("admin", tree["county"])
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    assert not may_pay_from(admin, giver["household"])
    assert not may_pay_from(admin, sink)
    with pytest.raises(DomainError):
        kind_of_move(giver["household"], giver["volunteer"])
    with pytest.raises(DomainError):
        kind_of_move(sink, giver["household"])


def test_issuing_goes_only_to_user_accounts_of_the_same_community(giver, people, tree):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    assert kind_of_move(issuance, giver["household"]) is TransferKind.issue
    other = services.account_for_household(people["h2"])  # community B
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    for receiver in (other, sink):
        with pytest.raises(DomainError) as refused:
            kind_of_move(issuance, receiver)
        assert refused.value.code == "forbidden"
    committee = people["committee"]
    assert may_pay_from(committee, issuance)
    b_issuance = services.system_account(tree["community_b"], AccountKind.issuance)
    assert not may_pay_from(committee, b_issuance)


def test_a_move_needs_a_memo_and_at_most_the_largest_amount(app, giver, people):
    _pair(people, start=TODAY)
    with pytest.raises(DomainError) as refused:
        move_points(
            debit=giver["volunteer"], credit=giver["household"], amount=1,
            actor=giver["user"], memo="  ",
        )  # fmt: skip
    assert refused.value.code == "memo_required"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        _give(giver, amount=MAX_MOVE + 1)
    assert (refused.value.code, refused.value.status) == ("invalid_amount", 422)
    with app.test_request_context():
        assert str(refused.value.message) == "At most 100000 points can be moved at once."
    db.session.rollback()
    # At the largest amount the rule moves on to the balance: 50 is not enough.
    with pytest.raises(DomainError) as refused:
        _give(giver, amount=MAX_MOVE)
    assert refused.value.code == "insufficient_points"


def test_who_sees_an_account(giver, people, make_user, tree):
    assert may_view(giver["user"], giver["volunteer"])
    assert may_view(people["committee"], giver["volunteer"])
    assert not may_view(make_user(), giver["volunteer"])
    assert not may_view(make_user("committee", tree["community_b"]), giver["volunteer"])


def test_a_pairing_with_another_household_does_not_let_a_volunteer_give_here(
    giver, people, make_user
):
    from points_app.people.models import Household, HouseholdCategory

    other = Household(
        public_no="A-H009", head_name="陈英", address="社区A2幢", community=people["h1"].community,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    db.session.add(other)
    db.session.add(Pairing(household=other, volunteer=people["v1"], start_date=TODAY))
    db.session.commit()
    assert _refused_give(giver).code == "forbidden"


def test_the_day_asked_about_is_the_one_checked(giver, people):
    _pair(people, start=TODAY, end=TODAY)
    payer, household = giver["volunteer"], giver["household"]
    assert kind_of_move(payer, household) is TransferKind.give
    with pytest.raises(DomainError):
        kind_of_move(payer, household, TODAY + DAY)


def test_refused_moves_say_why(giver, people, tree, app):
    issuance = services.system_account(tree["community_a"], AccountKind.issuance)
    sink = services.system_account(tree["community_a"], AccountKind.store_sink)
    other = services.account_for_household(people["h2"])
    cases = [
        (issuance, sink, "Points are issued to a volunteer, organisation or household."),
        (issuance, other, "Points are issued only to accounts of the same community."),
        (giver["volunteer"], giver["household"],
         "Points can be given only to a household paired with you now."),
        (giver["household"], giver["volunteer"],
         "Points cannot be moved out of this account by hand."),
    ]  # fmt: skip
    for payer, receiver, message in cases:
        with pytest.raises(DomainError) as refused:
            kind_of_move(payer, receiver)
        assert (refused.value.code, refused.value.status) == ("forbidden", 403)
        with app.test_request_context():
            assert str(refused.value.message) == message


def test_only_a_signed_in_user_owns_their_volunteer_account(giver):
    from types import SimpleNamespace

    from points_app.ledger.giving import is_own

    user_id = giver["user"].id
    assert is_own(giver["user"], giver["volunteer"])
    assert not is_own(SimpleNamespace(id=user_id, is_authenticated=False), giver["volunteer"])
    assert not is_own(SimpleNamespace(id=user_id), giver["volunteer"])  # not signed in
    assert not is_own(None, giver["volunteer"])


def test_move_points_checks_the_day_it_is_given(giver, people):
    _pair(people, start=TODAY, end=TODAY)
    with pytest.raises(DomainError) as refused:
        move_points(
            debit=giver["volunteer"], credit=giver["household"], amount=1,
            actor=giver["user"], memo="x", on=TODAY + DAY,
        )  # fmt: skip
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("memo", [None, "", "   "])
def test_a_move_without_a_memo_is_refused_and_says_so(giver, people, app, memo):
    _pair(people, start=TODAY)
    with pytest.raises(DomainError) as refused:
        move_points(
            debit=giver["volunteer"], credit=giver["household"], amount=1,
            actor=giver["user"], memo=memo,
        )  # fmt: skip
    assert (refused.value.code, refused.value.status) == ("memo_required", 422)
    with app.test_request_context():
        assert str(refused.value.message) == "Say what the points are for."


def test_paying_from_someone_elses_account_says_so(giver, people, app, make_user):
    _pair(people, start=TODAY)
    error = _refused_give(giver, actor=make_user())
    assert error.status == 403
    with app.test_request_context():
        assert str(error.message) == "You may not move points out of this account."


def test_only_people_managers_of_the_organisations_area_pay_from_it(giver, make_user, tree):
    assert may_pay_from(make_user("committee", tree["community_a"]), giver["org"])
    assert not may_pay_from(make_user("committee", tree["community_b"]), giver["org"])
    assert not may_pay_from(make_user("clerk", tree["community_a"]), giver["org"])
