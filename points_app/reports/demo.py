"""A year of demo history in both communities, so the reports show something real.

Rows are written straight into the tables with their historical times (the services
stamp everything "now"), keeping the ledger's double entry and the cached balances and
stock levels in step, so `flask ledger verify` stays clean. Runs once: the communities'
legal advisers mark it done.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import select, update

from points_app.accounts.models import User
from points_app.areas.models import Area, AreaLevel
from points_app.core.clock import local_today
from points_app.core.db import utcnow
from points_app.events.legal import LegalAdviser, LegalTalk
from points_app.events.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventIssue,
    EventKind,
    PartyRegistration,
    PointsRule,
    Project,
    ProjectMove,
    ProjectStatus,
)
from points_app.extensions import db
from points_app.issues.models import (
    TalkSession,
)
from points_app.ledger import services as ledger
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.people.models import (
    Household,
    Membership,
    Organisation,
    OrganisationKind,
    Pairing,
    Volunteer,
)
from points_app.reports import rollup
from points_app.reports.demo_issues import add_issues_of_month, local_moment
from points_app.store.models import (
    Product,
    Redemption,
    RedemptionLine,
    RedemptionStatus,
    StockMove,
    StockMoveKind,
    Store,
)

TITLES = {
    EventKind.volunteer: ["楼道清扫", "助老理发", "垃圾分类宣传", "文明劝导", "关爱独居老人"],
    EventKind.party_report: ["在职党员进社区报到服务", "党员认领微心愿"],
    EventKind.welfare_day: ["党群公益日"],
    EventKind.legal_talk: ["民法典进社区", "反诈骗宣讲", "法官说法：邻里纠纷", "警民说事"],
}


class _Ledger:
    """Transfers with historical times; balances are brought up to date at the end."""

    def __init__(self) -> None:
        self.delta: Counter[int] = Counter()
        self.clerk_id: int | None = None  # who the history's redemptions were served by

    def move(
        self,
        debit: Account,
        credit: Account,
        amount: int,
        kind: TransferKind,
        at: dt.datetime,
        memo: str,
    ) -> Transfer:
        transfer = Transfer(
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=amount,
            kind=kind,
            memo=memo,
            created_at=at,
        )
        db.session.add(transfer)
        self.delta[debit.id] -= amount
        self.delta[credit.id] += amount
        return transfer

    def settle(self) -> None:
        db.session.flush()
        for account_id, change in self.delta.items():
            if change:
                db.session.execute(
                    update(Account)
                    .where(Account.id == account_id)
                    .values(balance=Account.balance + change)
                )


def load_reports_demo() -> None:
    """Add a year of history to the demo communities (once)."""
    communities = list(
        db.session.scalars(
            select(Area)
            .where(Area.level == AreaLevel.community, Area.code.startswith("XS-"))
            .order_by(Area.id)
        )
    )
    if not communities or db.session.scalar(
        select(LegalAdviser.id).where(LegalAdviser.community_id == communities[0].id)
    ):
        return
    rng = random.Random(10)
    book = _Ledger()
    committee = db.session.scalars(select(User).where(User.username == "committee")).first()
    clerk = db.session.scalars(select(User).where(User.username == "clerk")).first()
    actor_id = committee.id if committee else None
    book.clerk_id = clerk.id if clerk else None
    today = local_today()
    first_month = (today.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    for community in communities:
        _community_history(community, first_month, today, rng, book, actor_id)
    book.settle()
    db.session.flush()
    # The history is backdated, so the stored day totals are counted again over it.
    rollup.rebuild()


def _community_history(
    community: Area,
    first: dt.date,
    today: dt.date,
    rng: random.Random,
    book: _Ledger,
    actor_id: int | None,
) -> None:
    volunteers = list(
        db.session.scalars(
            select(Volunteer)
            .where(Volunteer.home_community_id == community.id)
            .order_by(Volunteer.id)
        )
    )
    if not volunteers:
        return
    short = community.name[:2]
    adviser = LegalAdviser(
        community=community, name=f"{short}法律顾问 林律师", organisation="象山丹城律师事务所"
    )
    unit = Organisation(
        name=f"{short}·县供电公司党支部", kind=OrganisationKind.resident_unit, area=community
    )
    team = db.session.scalars(
        select(Organisation).where(
            Organisation.area_id == community.id,
            Organisation.kind == OrganisationKind.volunteer_team,
        )
    ).first() or Organisation(
        name=f"{short}志愿服务队", kind=OrganisationKind.volunteer_team, area=community
    )
    db.session.add_all([adviser, unit, team])
    db.session.flush()
    members = {
        m
        for (m,) in db.session.execute(
            select(Membership.volunteer_id).where(
                Membership.organisation_id.in_([unit.id, team.id])
            )
        )
    }
    for v in volunteers:
        if v.id in members:
            continue
        if v.is_party_member:
            db.session.add(Membership(organisation=unit, volunteer=v))
        elif v.id % 2:
            db.session.add(Membership(organisation=team, volunteer=v))
    for year in {first.year, today.year}:
        for v in volunteers:
            if v.is_party_member and not db.session.scalar(
                select(PartyRegistration.id).where(
                    PartyRegistration.volunteer_id == v.id, PartyRegistration.year == year
                )
            ):
                db.session.add(
                    PartyRegistration(
                        volunteer=v,
                        community=community,
                        year=year,
                        registered_at=local_moment(dt.date(year, 3, 5), 10),
                    )
                )

    issuance = ledger.system_account(community, AccountKind.issuance)
    sink = ledger.system_account(community, AccountKind.store_sink)
    accounts = {v.id: ledger.account_for_volunteer(v) for v in volunteers}
    pairs = list(
        db.session.execute(
            select(Pairing.volunteer_id, Household)
            .join(Household, Household.id == Pairing.household_id)
            .where(Household.community_id == community.id, Pairing.volunteer_id.is_not(None))
        )
    )
    households = {h.id: (h, ledger.account_for_household(h)) for _v, h in pairs}
    store = db.session.scalars(select(Store).where(Store.community_id == community.id)).first()
    product = (
        db.session.scalars(
            select(Product).where(Product.store_id == store.id).order_by(Product.points_price)
        ).first()
        if store
        else None
    )
    project = Project(
        title=f"{short}“邻里守望”创投项目",
        area=community,
        budget_points=500,
        status=ProjectStatus.closed,
        organisation=team,
        created_at=local_moment(first + dt.timedelta(days=20), 9),
    )
    db.session.add(project)
    db.session.flush()
    for n, status in enumerate(ProjectStatus):
        db.session.add(
            ProjectMove(
                project_id=project.id,
                to_status=status,
                actor_id=actor_id,
                from_status=list(ProjectStatus)[n - 1] if n else None,
                at=local_moment(first + dt.timedelta(days=20 + 90 * n), 9),
            )
        )

    month = first
    balance = Counter[int]()
    while month <= today:
        last = min((month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), today)
        days = (last - month).days + 1
        if days > 0 and month.replace(day=15) <= today:
            db.session.add(
                TalkSession(
                    area=community,
                    held_on=month.replace(day=15),
                    place=f"{community.name}议事厅",
                    chair="陈主任",
                    created_by_id=actor_id,
                )
            )
        closed_ids = add_issues_of_month(community, month, last, rng, actor_id)
        kinds = [EventKind.volunteer, EventKind.volunteer, EventKind.party_report]
        if last.day >= 28:
            kinds.append(EventKind.welfare_day)
        if month.month % 2 == 0:
            kinds.append(EventKind.legal_talk)
        for kind in kinds:
            day = (
                month.replace(day=28)
                if kind is EventKind.welfare_day
                else month + dt.timedelta(days=rng.randrange(days))
            )
            start = local_moment(day, 9)
            if start > utcnow() - dt.timedelta(hours=4):
                continue
            hours = rng.choice([2, 2, 3, 4])
            event = Event(
                title=rng.choice(TITLES[kind]),
                kind=kind,
                area=community,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=hours),
                place=f"{community.name}党群服务中心",
                points_rule=PointsRule.per_hour,
                points_value=0 if kind is EventKind.legal_talk else 1,
                needs_checkout=True,
                organiser_id=actor_id,
                people_served=rng.randrange(10, 80),
                created_at=start - dt.timedelta(days=3),
                project_id=project.id if kind is EventKind.volunteer and month.month == 6 else None,
            )
            db.session.add(event)
            db.session.flush()
            if kind is EventKind.legal_talk:
                db.session.add(LegalTalk(event=event, speaker=adviser, topic=event.title))
            if closed_ids and kind is not EventKind.legal_talk:
                db.session.add(EventIssue(event_id=event.id, issue_id=rng.choice(closed_ids)))
            for v in rng.sample(volunteers, k=min(len(volunteers), rng.randrange(3, 8))):
                minutes = hours * 60 - rng.choice([0, 0, 15, 30])
                points = 0 if kind is EventKind.legal_talk else -(-minutes // 60)
                end = start + dt.timedelta(minutes=minutes)
                earned = None
                if points:
                    earned = book.move(
                        issuance, accounts[v.id], points, TransferKind.earn, end, event.title
                    )
                    balance[v.id] += points
                    if event.project_id is not None:
                        project.points_spent += points  # the award counts against the budget
                    db.session.flush()
                db.session.add(
                    Attendance(
                        event=event,
                        volunteer=v,
                        status=AttendanceStatus.approved,
                        checked_in_at=start,
                        checked_out_at=end,
                        minutes=minutes,
                        points_awarded=points,
                        transfer_id=earned.id if earned else None,
                        decided_by_id=actor_id,
                        decided_at=end,
                        created_at=start,
                    )
                )
        _give_and_spend(
            pairs,
            households,
            accounts,
            balance,
            book,
            sink,
            store,
            product,
            local_moment(last, 15),
            rng,
            actor_id,
        )
        month = last + dt.timedelta(days=1)
    db.session.flush()


def _give_and_spend(
    pairs: list,
    households: dict,
    accounts: dict,
    balance: Counter[int],
    book: _Ledger,
    sink: Account,
    store: Store | None,
    product: Product | None,
    at: dt.datetime,
    rng: random.Random,
    actor_id: int | None,
) -> None:
    for volunteer_id, household in pairs:
        give = min(balance[volunteer_id], rng.randrange(1, 4))
        if give <= 0 or volunteer_id not in accounts:
            continue
        _h, account = households[household.id]
        book.move(accounts[volunteer_id], account, give, TransferKind.give, at, "结对赠送")
        balance[volunteer_id] -= give
        balance[-household.id] += give
        if store is None or product is None or book.clerk_id is None:
            continue
        quantity = balance[-household.id] // product.points_price
        if quantity < 1:
            continue
        total = quantity * product.points_price
        spent = book.move(
            account, sink, total, TransferKind.redeem, at + dt.timedelta(hours=1), "爱心超市兑换"
        )
        balance[-household.id] -= total
        db.session.flush()
        redemption = Redemption(
            store=store,
            household=household,
            clerk_id=book.clerk_id,
            total_points=total,
            item_count=quantity,
            balance_after=0,
            status=RedemptionStatus.completed,
            transfer_id=spent.id,
            idempotency_key=f"demo-history-{spent.id}",
            request_hash="demo",
            created_at=at + dt.timedelta(hours=1),
        )
        db.session.add(redemption)
        db.session.flush()
        db.session.add(
            RedemptionLine(
                redemption=redemption,
                product_id=product.id,
                product_name=product.name,
                unit=product.unit,
                quantity=quantity,
                points_price=product.points_price,
                line_points=total,
            )
        )
        # Donated and taken the same day: the shelf level stays as the store demo left it.
        db.session.add(
            StockMove(
                product_id=product.id,
                kind=StockMoveKind.donation,
                quantity=quantity,
                stock_after=product.stock + quantity,
                reason="历史演示",
                created_at=at,
            )
        )
        db.session.add(
            StockMove(
                product_id=product.id,
                kind=StockMoveKind.redemption,
                quantity=-quantity,
                stock_after=product.stock,
                redemption_id=redemption.id,
                created_at=at,
            )
        )
