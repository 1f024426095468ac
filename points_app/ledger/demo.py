"""Demo points: grants to volunteers and organisations, gifts to paired households, and
one corrected mistake, so the demo accounts have balances and histories to show."""

from __future__ import annotations

from sqlalchemy import select

from points_app.accounts.models import User
from points_app.areas.models import Area, AreaLevel
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Organisation, Pairing, Volunteer


def load_ledger_demo() -> None:
    """Issue demo points and make a few gifts (called once from the demo loader)."""
    committee = db.session.scalars(select(User).where(User.username == "committee")).first()
    communities = db.session.scalars(
        select(Area).where(Area.level == AreaLevel.community).order_by(Area.id)
    ).all()
    for community in communities:
        issuance = services.system_account(community, AccountKind.issuance)
        volunteers = db.session.scalars(
            select(Volunteer)
            .where(Volunteer.home_community_id == community.id)
            .order_by(Volunteer.id)
        ).all()
        for i, volunteer in enumerate(volunteers):
            services.transfer(
                debit=issuance,
                credit=services.account_for_volunteer(volunteer),
                amount=20 + 10 * (i % 4),
                kind=TransferKind.issue,
                actor=committee,
                memo="演示：年度志愿服务积分",
            )
        for org in db.session.scalars(
            select(Organisation).where(Organisation.area_id == community.id)
        ):
            services.transfer(
                debit=issuance,
                credit=services.account_for_organisation(org),
                amount=80,
                kind=TransferKind.issue,
                actor=committee,
                memo="演示：结对帮扶积分",
            )

    pairings = db.session.scalars(select(Pairing).order_by(Pairing.id)).all()
    for pairing in pairings:
        if pairing.volunteer is not None:
            giver = services.account_for_volunteer(pairing.volunteer)
            amount = 10
        else:
            assert pairing.organisation is not None
            giver = services.account_for_organisation(pairing.organisation)
            amount = 30
        services.transfer(
            debit=giver,
            credit=services.account_for_household(pairing.household),
            amount=amount,
            kind=TransferKind.give,
            actor=committee,
            memo="演示：赠予结对困难户",
            reference=("pairing", pairing.id),
        )

    # A grant made twice by mistake, then reversed: shows a reversal in the history.
    if communities and committee is not None:
        first = db.session.scalars(
            select(Volunteer)
            .where(Volunteer.home_community_id == communities[0].id)
            .order_by(Volunteer.id)
        ).first()
        if first is not None:
            mistake = services.transfer(
                debit=services.system_account(communities[0], AccountKind.issuance),
                credit=services.account_for_volunteer(first),
                amount=20,
                kind=TransferKind.issue,
                actor=committee,
                memo="演示：重复发放",
            )
            services.reverse(mistake, actor=committee, reason="演示：重复发放，撤销")
    db.session.flush()
