"""Demo residents' issues: a talk session this month, issues at every stage, one overdue,
one closed and served by a demo event."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.events.models import Event, EventIssue
from points_app.extensions import db
from points_app.issues import services, workflow
from points_app.issues.models import AttendeeKind, Issue, IssueCategory, IssueChannel, TalkSession
from points_app.issues.services import AttendeeInput


def _area(code: str) -> Area | None:
    return db.session.scalars(select(Area).where(Area.code == code)).first()


def _user(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()


def load_issues_demo() -> None:
    """Add the demo issues (called once from the demo loader, after events)."""
    community, grid, other_grid = _area("XS-DD-DG"), _area("XS-DD-DG-G1"), _area("XS-DD-DF-G1")
    grid_worker, organiser, committee = _user("gridworker"), _user("organiser"), _user("committee")
    admin = _user("admin")
    if None in (community, grid, other_grid, grid_worker, organiser, committee, admin):
        return
    assert community and grid and other_grid and grid_worker and organiser and committee
    now = utcnow().replace(second=0, microsecond=0)

    def ago(days: float) -> dt.datetime:
        return now - dt.timedelta(days=days)

    services.save_settings(
        community, actor=committee, talk_day=10, grid_days=3, community_days=7, street_days=15
    )
    session = services.create_talk_session(
        actor=committee,
        area=community,
        held_on=ago(1).date() if now.day > 1 else now.date(),
        place="东谷社区议事厅",
        chair="陈主任",
        minutes="议题：停车位划线纠纷、楼道堆物。决定由物业牵头，网格员跟进，一周内反馈。",
        attendees=[
            AttendeeInput(AttendeeKind.residents, 14, "居民代表"),
            AttendeeInput(AttendeeKind.party_members, 3),
            AttendeeInput(AttendeeKind.residents_committee, 2),
            AttendeeInput(AttendeeKind.property_company, 1, "东谷物业"),
            AttendeeInput(AttendeeKind.legal_adviser, 1, "社区法律顾问 王律师"),
        ],
    )

    earlier = services.create_talk_session(
        actor=committee, area=community, held_on=ago(8).date(), place="东谷社区议事厅",
        chair="陈主任", minutes="议题：独居老人照看。决定组织志愿者结对陪伴。",
        attendees=[AttendeeInput(AttendeeKind.residents, 9), AttendeeInput("stakeholders", 2)],
    )  # fmt: skip

    def issue(
        title: str,
        category: IssueCategory,
        days_ago: float,
        channel: IssueChannel = IssueChannel.grid_visit,
        session: TalkSession | None = None,
    ) -> Issue:
        return services.raise_issue(
            actor=grid_worker,
            area=grid,
            title=title,
            category=category,
            channel=channel,
            resident_name="张秀英",
            resident_phone="13805741234",
            session=session,
            at=ago(days_ago),
        )

    issue("3幢楼道堆放杂物", IssueCategory.environment, 0.2)

    lamp = issue("小区路灯不亮", IssueCategory.public_services, 10, channel=IssueChannel.hotline)
    workflow.transition(lamp, "handling", actor=grid_worker, level="grid", at=ago(9))

    parking = issue("停车位划线纠纷", IssueCategory.neighbour_dispute, 3, session=session)
    workflow.transition(parking, "deliberating", actor=committee, session=session, at=ago(1))

    smell = issue("垃圾分类点异味", IssueCategory.environment, 6)
    workflow.transition(smell, "handling", actor=grid_worker, level="grid", at=ago(5))
    workflow.transition(
        smell, "handling", actor=grid_worker, level="community", note="需要物业配合", at=ago(4)
    )
    workflow.transition(smell, "evaluating", actor=organiser, note="物业每天冲洗两次", at=ago(1))

    lonely = issue("独居老人无人照看", IssueCategory.public_services, 12)
    workflow.transition(lonely, "deliberating", actor=committee, at=ago(11))
    workflow.transition(
        lonely, "handling", actor=committee, decision="组织志愿者结对陪伴", level="community",
        session=earlier, at=ago(8),
    )  # fmt: skip
    workflow.transition(lonely, "evaluating", actor=organiser, note="志愿者每周上门", at=ago(0.8))
    workflow.evaluate_issue(lonely, actor=organiser, satisfaction=5, solved=True, at=ago(0.5))
    visit = db.session.scalars(select(Event).where(Event.title == "敬老院陪伴老人")).first()
    if visit is not None:
        db.session.add(EventIssue(event_id=visit.id, issue_id=lonely.id))

    services.raise_issue(
        actor=admin, area=other_grid, title="健身器材损坏", category=IssueCategory.public_services,
        channel=IssueChannel.online, at=ago(2),
    )  # fmt: skip
    db.session.flush()
