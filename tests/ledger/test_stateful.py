"""A Hypothesis state machine drives the ledger with random operations and checks, after
every step, that points are conserved, balances match the transfers, and no person,
organisation or household ever goes below zero; refused operations change nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from points_app.areas.models import AreaLevel
from points_app.areas.services import create_area
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.ledger.verify import _computed_balances
from points_app.people.models import Household, HouseholdCategory, Organisation, Volunteer

_run = itertools.count(1)
amounts = st.integers(min_value=1, max_value=25)


@dataclass
class Posted:
    """What the model remembers of a transfer that went through."""

    id: int
    debit: int
    credit: int
    amount: int
    is_reversal: bool


class LedgerMachine(RuleBasedStateMachine):
    """The model: an expected balance per account and the list of posted transfers."""

    transfers = Bundle("transfers")

    @initialize(target=transfers)
    def open_accounts(self):
        n = self.run = next(_run)
        self.expected: dict[int, int] = {}
        self.system: set[int] = set()
        self.issuance: dict[int, int] = {}  # community id -> issuance account id
        self.sink: dict[int, int] = {}  # community id -> store sink account id
        self.posted: dict[int, Posted] = {}
        self.reversed: set[int] = set()
        self.keys: dict[str, tuple[int, int, int]] = {}  # key -> (transfer id, account, amount)
        county = create_area(
            name="县", code=f"K{n}", level=AreaLevel.county, parent=None, actor=None
        )
        street = create_area(
            name="街道", code=f"K{n}-s", level=AreaLevel.street, parent=county, actor=None
        )
        self.people: list[int] = []
        self.households: list[int] = []
        for c in range(2):
            community = create_area(
                name=f"社区{c}", code=f"K{n}-c{c}", level=AreaLevel.community, parent=street,
                actor=None,
            )  # fmt: skip
            for kind, store in (
                (AccountKind.issuance, self.issuance),
                (AccountKind.store_sink, self.sink),
            ):  # noqa: E501
                account = services.system_account(community, kind)
                store[community.id] = account.id
                self.system.add(account.id)
            volunteer = Volunteer(
                real_name="志愿者", phone=f"1{n:05d}{c:05d}", home_community=community
            )
            household = Household(
                public_no=f"K{n}-H{c}", head_name="户主", address="地址", community=community,
                category=HouseholdCategory.other,
            )  # fmt: skip
            db.session.add_all([volunteer, household])
            db.session.flush()
            self.people.append(services.account_for_volunteer(volunteer).id)
            self.households.append(services.account_for_household(household).id)
        org = Organisation(name=f"服务队{n}", kind="volunteer_team", area=community)
        db.session.add(org)
        db.session.flush()
        self.people.append(services.account_for_organisation(org).id)
        db.session.commit()
        for account_id in [*self.people, *self.households, *self.system]:
            self.expected[account_id] = 0
        self.communities = list(self.issuance)
        return multiple()

    # --- helpers ---------------------------------------------------------------------

    def _account(self, account_id: int) -> Account:
        account = db.session.get(Account, account_id)
        assert account is not None
        return account

    def _post(self, debit: int, credit: int, amount: int, kind: TransferKind, **kw) -> int | None:
        """Try a transfer; compare the outcome with what the model predicts."""
        short = self.expected[debit] - amount
        should_refuse = debit not in self.system and short < 0
        try:
            record = services.transfer(
                debit=self._account(debit), credit=self._account(credit), amount=amount,
                kind=kind, actor=None, **kw,
            )  # fmt: skip
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            assert should_refuse, error.code
            assert error.code == "insufficient_points"
            assert error.details["missing"] == -short
            return None
        assert not should_refuse
        self.expected[debit] -= amount
        self.expected[credit] += amount
        self.posted[record.id] = Posted(record.id, debit, credit, amount, False)
        return record.id

    # --- rules -----------------------------------------------------------------------

    @rule(target=transfers, data=st.data(), amount=amounts)
    def issue(self, data, amount):
        community = data.draw(st.sampled_from(self.communities))
        to = data.draw(st.sampled_from(self.people + self.households))
        key = f"issue-{self.run}-{len(self.keys)}"
        posted = self._post(
            self.issuance[community], to, amount, TransferKind.issue, idempotency_key=key
        )
        assert posted is not None
        self.keys[key] = (posted, to, amount)
        return posted

    @rule(target=transfers, data=st.data(), amount=amounts)
    def transfer_between_people(self, data, amount):
        debit = data.draw(st.sampled_from(self.people + self.households))
        credit = data.draw(st.sampled_from([a for a in self.people if a != debit]))
        return self._post(debit, credit, amount, TransferKind.adjust) or multiple()

    @rule(target=transfers, data=st.data(), amount=amounts)
    def give_to_household(self, data, amount):
        debit = data.draw(st.sampled_from(self.people))
        credit = data.draw(st.sampled_from(self.households))
        return self._post(debit, credit, amount, TransferKind.give) or multiple()

    @rule(target=transfers, data=st.data(), amount=amounts)
    def redeem(self, data, amount):
        household = data.draw(st.sampled_from(self.households))
        community = self.communities[self.households.index(household)]
        return (
            self._post(household, self.sink[community], amount, TransferKind.redeem) or multiple()
        )

    @rule(target=transfers, original=transfers)
    def reverse(self, original):
        was = self.posted[original]
        if was.is_reversal:
            expected_code = "cannot_reverse_reversal"
        elif original in self.reversed:
            expected_code = "already_reversed"
        elif was.credit not in self.system and self.expected[was.credit] < was.amount:
            expected_code = "insufficient_points"
        else:
            expected_code = None
        record = db.session.get(Transfer, original)
        assert record is not None
        try:
            undo = services.reverse(record, actor=None, reason="hypothesis")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            assert error.code == expected_code
            return multiple()
        assert expected_code is None
        self.reversed.add(original)
        self.expected[was.credit] -= was.amount
        self.expected[was.debit] += was.amount
        self.posted[undo.id] = Posted(undo.id, was.credit, was.debit, was.amount, True)
        return undo.id

    @rule(data=st.data(), change=st.booleans())
    def replay_a_key(self, data, change):
        if not self.keys:
            return
        key = data.draw(st.sampled_from(sorted(self.keys)))
        first_id, to, amount = self.keys[key]
        first = db.session.get(Transfer, first_id)
        assert first is not None
        try:
            again = services.transfer(
                debit=self._account(first.debit_account_id), credit=self._account(to),
                amount=amount + int(change), kind=TransferKind.issue, actor=None,
                idempotency_key=key,
            )  # fmt: skip
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            assert change and error.code == "idempotency_mismatch"
            return
        assert not change and again.id == first_id

    @rule(transfer=consumes(transfers))
    def forget(self, transfer):
        """Drop a transfer from the bundle so reversals pick among others."""

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def balances_match_the_model(self):
        if not hasattr(self, "expected"):
            return
        rows = db.session.execute(
            select(Account.id, Account.balance).where(Account.id.in_(self.expected))
        ).all()
        assert dict(rows) == self.expected  # type: ignore[comparison-overlap]
        ours = db.session.scalar(
            select(func.count(Transfer.id)).where(Transfer.debit_account_id.in_(self.expected))
        )
        assert ours == len(self.posted)

    @invariant()
    def ledger_is_consistent(self):
        for account_id, kind, cached, computed in _computed_balances():
            assert cached == computed, account_id
            if kind not in {"issuance", "store_sink", "expiry"}:
                assert cached >= 0
        total = db.session.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
        assert total == 0
        if hasattr(self, "expected"):
            assert sum(self.expected.values()) == 0

    def teardown(self):
        db.session.rollback()


def test_ledger_state_machine(app):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=30, stateful_step_count=30, deadline=None),
    )
