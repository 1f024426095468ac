"""A hand-counted fixture for the reports: March 2026 in communities A, B and an empty C.

Rows are written straight into the tables (not through the services) so each one sits
exactly where the test wants it: on either side of a local month boundary, over the
period's edge, cancelled, pending or voided. The expected figures are counted by hand in
`EXPECTED_MARCH` below; the comments say why each row counts or not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from points_app.accounts.models import Role
from points_app.areas.models import AreaLevel
from points_app.areas.services import create_area
from points_app.events.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventIssue,
    EventKind,
    PartyRegistration,
    Project,
    ProjectMove,
    ProjectStatus,
)
from points_app.extensions import db
from points_app.issues.models import (
    HandlingLevel,
    Issue,
    IssueCategory,
    IssueChannel,
    IssueEvaluation,
    IssueState,
    Mediation,
    MediationOutcome,
    TalkSession,
)
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.people.models import (
    Household,
    HouseholdCategory,
    Membership,
    Organisation,
    OrganisationKind,
    Volunteer,
)
from points_app.people.units import unit_for
from points_app.store.models import Product, ProductCategory, Redemption, RedemptionStatus, Store

UTC = dt.UTC
TODAY = dt.date(2026, 4, 10)


def at(text: str) -> dt.datetime:
    """A UTC moment from 'YYYY-MM-DDTHH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


EXPECTED_MARCH: dict[str, dict[str, Any]] = {
    "a": {
        "party_members_registered": 1, "party_members_reporting": 1,
        # units: A单位 (a resident unit, 党员甲 a member) and 县供电公司 (党员甲's work unit)
        "volunteer_teams_active": 1, "units_active": 2, "talk_sessions": 2,
        "issues_raised": 2, "issues_resolved": 2, "issues_overdue": 0,
        "disputes_mediated": 0, "mediations": 0, "legal_talks": 1,
        "legal_talk_attendance": 30, "legal_problems_solved": 1,
        "venture_projects_published": 0, "venture_projects_claimed": 1,
        "venture_projects_closed": 1, "welfare_days": 1, "people_served": 100,
        "volunteers_active": 2, "volunteer_minutes": 270, "points_issued": 2,
        "points_given": 3, "points_redeemed": 2, "households_served": 1, "stock_value": 10,
    },
    "b": {
        "party_members_registered": 0, "party_members_reporting": 1,
        "volunteer_teams_active": 0, "units_active": 1, "talk_sessions": 0,
        "issues_raised": 1, "issues_resolved": 0, "issues_overdue": 1,
        "disputes_mediated": 1, "mediations": 2, "legal_talks": 0,
        "legal_talk_attendance": 0, "legal_problems_solved": 0,
        "venture_projects_published": 1, "venture_projects_claimed": 0,
        "venture_projects_closed": 0, "welfare_days": 0, "people_served": 5,
        "volunteers_active": 1, "volunteer_minutes": 45, "points_issued": 0,
        "points_given": 0, "points_redeemed": 0, "households_served": 0, "stock_value": 0,
    },
}  # fmt: skip


@pytest.fixture
def county(tree: dict[str, Any]) -> dict[str, Any]:
    """The conftest tree plus an empty community C under the same street."""
    c = create_area(
        name="社区C", code="S-c", level=AreaLevel.community, parent=tree["street"], actor=None
    )
    db.session.commit()
    return {**tree, "community_c": c}


@pytest.fixture
def march(county: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """The hand-counted rows (see EXPECTED_MARCH)."""
    a, b, grid_a = county["community_a"], county["community_b"], county["grid_a"]
    clerk = make_user(Role.clerk, a, username="clerk")
    add = db.session.add_all

    v1 = Volunteer(real_name="党员甲", phone="13900000001", home_community=a, is_party_member=True,
                   unit=unit_for(a, "县供电公司"))  # fmt: skip
    v2 = Volunteer(real_name="志愿者乙", phone="13900000002", home_community=a)
    v3 = Volunteer(real_name="党员丙", phone="13900000003", home_community=b, is_party_member=True)
    add([v1, v2, v3])
    team_a = Organisation(name="A志愿队", kind=OrganisationKind.volunteer_team, area=a)
    unit_a = Organisation(name="A单位", kind=OrganisationKind.resident_unit, area=a)
    unit_b = Organisation(name="B单位", kind=OrganisationKind.resident_unit, area=b)
    branch_a = Organisation(name="A支部", kind=OrganisationKind.party_branch, area=a)
    add([team_a, unit_a, unit_b, branch_a])
    db.session.flush()
    add([
        Membership(organisation=team_a, volunteer=v2),
        Membership(organisation=unit_a, volunteer=v1),
        Membership(organisation=unit_b, volunteer=v3),
        Membership(organisation=branch_a, volunteer=v1),  # a party branch is neither
        PartyRegistration(volunteer=v1, community=a, year=2026),
        PartyRegistration(volunteer=v3, community=b, year=2025),  # another year
    ])  # fmt: skip

    def event(kind: EventKind, area: Any, start: str, end: str, served: int | None,
              cancelled: bool = False) -> Event:  # fmt: skip
        e = Event(
            title=f"{kind.value} {start}", kind=kind, area=area, starts_at=at(start),
            ends_at=at(end), people_served=served, is_cancelled=cancelled,
        )  # fmt: skip
        db.session.add(e)
        return e

    e1 = event(EventKind.volunteer, grid_a, "2026-03-10T02:00", "2026-03-10T06:00", 20)
    e2 = event(EventKind.welfare_day, a, "2026-03-28T01:00", "2026-03-28T05:00", 50)
    # 23:00 on 31 March to 09:00 on 1 April local: counts in March, where it starts.
    e3 = event(EventKind.legal_talk, a, "2026-03-31T15:00", "2026-04-01T01:00", 30)
    # 00:30 on 1 March local (still 28 February in UTC): March.
    e4 = event(EventKind.volunteer, b, "2026-02-28T16:30", "2026-02-28T18:00", 5)
    # 00:00 on 1 April local (still 31 March in UTC): April.
    e5 = event(EventKind.welfare_day, b, "2026-03-31T16:00", "2026-03-31T20:00", 40)
    event(EventKind.volunteer, a, "2026-03-12T02:00", "2026-03-12T04:00", 9, cancelled=True)
    db.session.flush()

    def attend(v: Volunteer, e: Event, checked_in: str, minutes: int,
               status: AttendanceStatus = AttendanceStatus.approved) -> None:  # fmt: skip
        approved = status is AttendanceStatus.approved
        add([Attendance(
            event=e, volunteer=v, status=status, checked_in_at=at(checked_in), minutes=minutes,
            points_awarded=1 if approved else None,
        )])  # fmt: skip

    attend(v1, e1, "2026-03-10T02:00", 120)
    attend(v2, e1, "2026-03-10T02:05", 90)
    attend(v1, e3, "2026-03-31T15:30", 60)  # 23:30 on 31 March local: March
    attend(v2, e3, "2026-03-31T16:00", 30)  # 00:00 on 1 April local: April
    attend(v3, e4, "2026-02-28T16:40", 45)  # 00:40 on 1 March local: March
    attend(v3, e5, "2026-03-31T16:10", 60, AttendanceStatus.pending)
    attend(v2, e2, "2026-03-28T01:00", 60, AttendanceStatus.pending)  # not approved

    add([
        TalkSession(area=a, held_on=dt.date(2026, 3, 15), place="A议事厅", chair="陈"),
        TalkSession(area=grid_a, held_on=dt.date(2026, 3, 31), place="A网格", chair="王"),
        TalkSession(area=a, held_on=dt.date(2026, 4, 1), place="A议事厅", chair="陈"),
        TalkSession(area=county["street"], held_on=dt.date(2026, 3, 15), place="街道", chair="何"),
    ])  # fmt: skip

    def issue(area: Any, category: IssueCategory, created: str, state: IssueState,
              level: HandlingLevel | None = None, closed: str | None = None,
              due: dt.date | None = None) -> Issue:  # fmt: skip
        i = Issue(
            title=f"{category.value} {created}", category=category,
            channel=IssueChannel.grid_visit, area=area, state=state, level=level, due_on=due,
            created_at=at(created), closed_at=at(closed) if closed else None,
        )  # fmt: skip
        db.session.add(i)
        return i

    i1 = issue(grid_a, IssueCategory.environment, "2026-03-05T02:00", IssueState.closed,
               HandlingLevel.grid, closed="2026-03-15T02:00")  # fmt: skip
    # Raised in February; closed 23:30 on 31 March local: resolved in March, legal.
    i2 = issue(a, IssueCategory.legal, "2026-02-20T02:00", IssueState.closed,
               HandlingLevel.community, closed="2026-03-31T15:30")  # fmt: skip
    # Raised 00:30 on 1 April local: overdue now, but not raised by March's end.
    i3 = issue(a, IssueCategory.neighbour_dispute, "2026-03-31T16:30", IssueState.handling,
               HandlingLevel.community, due=dt.date(2026, 4, 3))  # fmt: skip
    i4 = issue(b, IssueCategory.neighbour_dispute, "2026-03-02T02:00", IssueState.handling,
               HandlingLevel.street, due=dt.date(2026, 3, 25))  # fmt: skip
    issue(a, IssueCategory.other, "2026-03-20T02:00", IssueState.raised)
    db.session.flush()
    # Who served the resolved issues (for contributions across issues).
    add([EventIssue(event_id=e1.id, issue_id=i1.id), EventIssue(event_id=e3.id, issue_id=i2.id),
         EventIssue(event_id=e4.id, issue_id=i4.id)])  # fmt: skip
    add([
        IssueEvaluation(issue=i1, satisfaction=4, is_solved=True, at=at("2026-03-15T02:00")),
        IssueEvaluation(issue=i2, satisfaction=5, is_solved=True, at=at("2026-03-31T15:30")),
        IssueEvaluation(issue=i4, satisfaction=2, is_solved=False, at=at("2026-02-27T02:00")),
        Mediation(issue=i4, outcome=MediationOutcome.not_settled, mediator="周",
                  mediated_on=dt.date(2026, 3, 10)),
        Mediation(issue=i4, outcome=MediationOutcome.agreement_signed, mediator="周",
                  mediated_on=dt.date(2026, 3, 20)),
        Mediation(issue=i3, outcome=MediationOutcome.mediated, mediator="吴",
                  mediated_on=dt.date(2026, 4, 1)),
    ])  # fmt: skip

    p1 = Project(title="A项目", area=a, budget_points=100, status=ProjectStatus.closed,
                 organisation=unit_a)  # fmt: skip
    p2 = Project(title="B项目", area=b, budget_points=50, status=ProjectStatus.published)
    add([p1, p2])
    db.session.flush()
    S = ProjectStatus
    add([
        ProjectMove(project_id=p1.id, to_status=S.published, at=at("2026-02-10T02:00")),
        ProjectMove(project_id=p1.id, from_status=S.published, to_status=S.claimed,
                    at=at("2026-03-05T02:00")),
        ProjectMove(project_id=p1.id, from_status=S.claimed, to_status=S.closed,
                    at=at("2026-03-31T15:00")),
        ProjectMove(project_id=p2.id, to_status=S.published, at=at("2026-03-03T02:00")),
    ])  # fmt: skip

    hh = Household(public_no="A-1", head_name="王英", address="A1幢", community=a,
                   category=HouseholdCategory.dibao)  # fmt: skip
    hh2 = Household(public_no="A-2", head_name="李梅", address="A2幢", community=a,
                    category=HouseholdCategory.tekun)  # fmt: skip
    add([hh, hh2])
    db.session.flush()
    K = AccountKind
    issuance_a = Account(kind=K.issuance, area_id=a.id)
    issuance_b = Account(kind=K.issuance, area_id=b.id)
    sink_a = Account(kind=K.store_sink, area_id=a.id)
    acc_v1 = Account(kind=K.volunteer, volunteer_id=v1.id, area_id=a.id)
    acc_v3 = Account(kind=K.volunteer, volunteer_id=v3.id, area_id=b.id)
    acc_hh = Account(kind=K.household, household_id=hh.id, area_id=a.id)
    add([issuance_a, issuance_b, sink_a, acc_v1, acc_v3, acc_hh])
    db.session.flush()

    def transfer(debit: Account, credit: Account, amount: int, kind: TransferKind,
                 when: str, reverses: Transfer | None = None) -> Transfer:  # fmt: skip
        t = Transfer(
            debit_account_id=debit.id, credit_account_id=credit.id, amount=amount, kind=kind,
            created_at=at(when), reverses_id=reverses.id if reverses else None,
        )  # fmt: skip
        db.session.add(t)
        db.session.flush()
        return t

    t1 = transfer(issuance_a, acc_v1, 3, TransferKind.earn, "2026-03-10T06:00")
    transfer(issuance_a, acc_hh, 2, TransferKind.earn, "2026-03-10T06:00")  # issued and given
    transfer(acc_v1, acc_hh, 1, TransferKind.give, "2026-03-12T02:00")
    transfer(acc_v1, issuance_a, 3, TransferKind.reverse, "2026-03-13T02:00", reverses=t1)
    transfer(issuance_b, acc_v3, 1, TransferKind.earn, "2026-02-28T15:00")  # 23:00 28 Feb
    redeem = transfer(acc_hh, sink_a, 2, TransferKind.redeem, "2026-03-20T02:00")

    store = Store(community=a, name="A爱心超市")
    add([store])
    db.session.flush()
    add([
        Product(store=store, name="大米", category=ProductCategory.grain_oil, unit="袋",
                points_price=2, stock=5),
        Product(store=store, name="旧货", category=ProductCategory.other, unit="件",
                points_price=10, stock=3, is_active=False),
    ])  # fmt: skip

    def redemption(household: Household, total: int, when: str,
                   status: RedemptionStatus = RedemptionStatus.completed) -> None:  # fmt: skip
        voided = status is RedemptionStatus.voided
        add([Redemption(
            store=store, household=household, clerk_id=clerk.id, total_points=total,
            item_count=1, balance_after=0, status=status, idempotency_key=f"k{when}",
            request_hash="h", created_at=at(when), voided_at=at(when) if voided else None,
            transfer_id=redeem.id if total == 2 else None,
        )])  # fmt: skip

    redemption(hh, 2, "2026-03-20T02:00")
    redemption(hh, 1, "2026-03-21T02:00", RedemptionStatus.voided)
    redemption(hh2, 3, "2026-03-31T16:30")  # 00:30 on 1 April local
    db.session.commit()
    return {"clerk": clerk, "issues": [i1, i2, i3, i4], "v1": v1}
