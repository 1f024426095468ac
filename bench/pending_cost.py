"""What the public-notice rule costs a spend: time ledger transfers from an account with
no pending credits and from one with many, on a scratch SQLite database.

    .venv/bin/python bench/pending_cost.py [transfers [pending-credits ...]]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time

from points_app import create_app
from points_app.areas.models import AreaLevel
from points_app.areas.services import create_area
from points_app.config import TestConfig
from points_app.core.db import utcnow
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, HouseholdCategory, Volunteer


def _spend(n: int, pending_rows: int) -> float:
    """Seconds per transfer (each its own transaction) with `pending_rows` held credits."""
    with tempfile.TemporaryDirectory() as folder:

        class Cfg(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.db"

        app = create_app(Cfg)
        with app.app_context():
            db.create_all()
            county = create_area(
                name="县", code="C", level=AreaLevel.county, parent=None, actor=None
            )
            street = create_area(
                name="街道", code="C-s", level=AreaLevel.street, parent=county, actor=None
            )
            community = create_area(
                name="社区", code="C-s-a", level=AreaLevel.community, parent=street, actor=None
            )
            volunteer = Volunteer(real_name="张伟", phone="13900000001", home_community=community)
            household = Household(
                public_no="H1", head_name="王英", address="1幢", community=community,
                category=HouseholdCategory.dibao,
            )  # fmt: skip
            db.session.add_all([volunteer, household])
            db.session.flush()
            issuance = ledger.system_account(community, AccountKind.issuance)
            payer = ledger.account_for_volunteer(volunteer)
            payee = ledger.account_for_household(household)
            ledger.transfer(
                debit=issuance, credit=payer, amount=n, kind=TransferKind.issue, actor=None
            )
            if pending_rows:  # imported here: the script also runs on code without the rule
                from points_app.ledger.pending import hold_credit
            for _ in range(pending_rows):
                award = ledger.transfer(
                    debit=issuance, credit=payer, amount=1, kind=TransferKind.earn, actor=None
                )
                hold_credit(award, utcnow() + dt.timedelta(days=7))
            db.session.commit()
            start = time.perf_counter()
            for _ in range(n):
                ledger.transfer(
                    debit=payer, credit=payee, amount=1, kind=TransferKind.give, actor=None
                )
                db.session.commit()
            elapsed = time.perf_counter() - start
            db.session.remove()
            db.engine.dispose()
            return elapsed / n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for rows in [int(r) for r in sys.argv[2:]] or [0, 100]:
        per = _spend(n, rows)
        print(f"{rows:>4} pending credits: {per * 1000:.3f} ms per transfer ({n} transfers)")


if __name__ == "__main__":
    main()
