"""Real concurrent writers: threads, each with its own app context and connection, start
together at a barrier and spend from one account. The account never goes below zero."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from points_app import create_app
from points_app.config import TestConfig, normalise_database_url
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.ledger.verify import run_checks
from tests.concurrency import run_together, spend_one_point_each
from tests.conftest import ON_POSTGRES, PG_URL, _truncate_all

SPENDERS = 100
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def _wide_app(_pg_schema: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the module, with a pool wide enough for every thread at once; its
    connections stay open from one repetition to the next."""
    url = PG_URL if ON_POSTGRES else f"sqlite:///{tmp_path_factory.mktemp('conc') / 'test.db'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": SPENDERS + 5, "max_overflow": 0}

    app = create_app(Cfg)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def wide_app(_wide_app: Flask) -> Iterator[Flask]:
    """The module's app on an empty database."""
    with _wide_app.app_context():
        if ON_POSTGRES:
            _truncate_all()
        else:
            db.drop_all()
            db.create_all()
        yield _wide_app
        db.session.remove()
        if ON_POSTGRES:
            _truncate_all()


def _accounts(app: Flask) -> tuple[int, int, int]:
    """A community with an issuance account, a volunteer holding 10 and a household."""
    from points_app.areas.models import AreaLevel
    from points_app.areas.services import create_area
    from points_app.people.models import Household, HouseholdCategory, Volunteer

    county = create_area(name="县", code="C", level=AreaLevel.county, parent=None, actor=None)
    street = create_area(name="街", code="S", level=AreaLevel.street, parent=county, actor=None)
    community = create_area(
        name="社区", code="S-a", level=AreaLevel.community, parent=street, actor=None
    )
    volunteer = Volunteer(real_name="张伟", phone="13900000001", home_community=community)
    household = Household(
        public_no="H1", head_name="王英", address="1幢", community=community,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    db.session.add_all([volunteer, household])
    db.session.flush()
    issuance = services.system_account(community, AccountKind.issuance)
    spender = services.account_for_volunteer(volunteer)
    target = services.account_for_household(household)
    services.transfer(
        debit=issuance, credit=spender, amount=10, kind=TransferKind.issue, actor=None
    )
    db.session.commit()
    return issuance.id, spender.id, target.id


@pytest.mark.parametrize("round_no", range(20))
def test_hundred_simultaneous_spends_of_one_point_from_ten(wide_app, round_no):
    _issuance_id, spender_id, target_id = _accounts(wide_app)

    outcomes = spend_one_point_each(wide_app, SPENDERS, spender_id, target_id)
    assert outcomes == {"ok": 10, "insufficient_points": 90}
    db.session.expire_all()
    assert services.balance_of(db.session.get(Account, spender_id)) == 0
    assert services.balance_of(db.session.get(Account, target_id)) == 10
    assert all(result.is_clean for result in run_checks())


@pytest.mark.parametrize("round_no", range(3))
def test_ten_simultaneous_requests_with_one_key_make_one_transfer(wide_app, round_no):
    from points_app.accounts.models import User

    issuance_id, spender_id, _target_id = _accounts(wide_app)
    actor = User(username="committee", display_name="委员", password_hash="x")
    db.session.add(actor)
    db.session.commit()
    actor_id = actor.id

    def award(_i: int) -> int:
        def unit() -> int:
            user = db.session.get(User, actor_id)
            debit = db.session.get(Account, issuance_id)
            credit = db.session.get(Account, spender_id)
            assert debit is not None and credit is not None
            record = services.transfer(
                debit=debit, credit=credit, amount=5, kind=TransferKind.earn, actor=user,
                reference=("attendance", 1), idempotency_key="approve-attendance-1",
            )  # fmt: skip
            return record.id

        return services.run_in_transaction(unit)

    results = run_together(wide_app, 10, award)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    count = db.session.scalar(
        select(func.count(Transfer.id)).where(Transfer.idempotency_key.is_not(None))
    )
    assert count == 1
    assert services.balance_of(db.session.get(Account, spender_id)) == 15
    assert all(result.is_clean for result in run_checks())


def test_opposite_transfers_between_two_accounts_do_not_deadlock(wide_app):
    """Half the writers pay A -> B, half B -> A, at once; rows are locked in id order."""
    issuance_id, spender_id, target_id = _accounts(wide_app)
    issuance = db.session.get(Account, issuance_id)
    assert issuance is not None
    for account_id, amount in ((spender_id, 90), (target_id, 100)):  # 100 each: never short
        account = db.session.get(Account, account_id)
        assert account is not None
        services.transfer(
            debit=issuance, credit=account, amount=amount, kind=TransferKind.issue, actor=None
        )
    db.session.commit()

    def pay(i: int) -> int:
        pair = (spender_id, target_id) if i % 2 else (target_id, spender_id)
        for _ in range(5):

            def unit() -> Transfer:
                debit, credit = (db.session.get(Account, x) for x in pair)
                assert debit is not None and credit is not None
                return services.transfer(
                    debit=debit, credit=credit, amount=1, kind=TransferKind.adjust, actor=None
                )

            services.run_in_transaction(unit)
        return 5

    results = run_together(wide_app, 20, pay)
    assert results == [5] * 20, results
    assert services.balance_of(db.session.get(Account, spender_id)) == 100
    assert services.balance_of(db.session.get(Account, target_id)) == 100
    assert all(result.is_clean for result in run_checks())
