"""Demo events: one on now with a printable QR code, one finished and approved, one
upcoming public-welfare day, a venture project, Party registrations and needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.events import party, projects, services
from points_app.events.models import Event, EventKind, NeedSource, NeedStatus, PointsRule
from points_app.extensions import db
from points_app.people.models import Organisation, OrganisationKind, Pairing, Volunteer


def _area(code: str) -> Area | None:
    return db.session.scalars(select(Area).where(Area.code == code)).first()


def _user(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()


def load_events_demo() -> None:
    """Add the demo events (called once from the demo loader, after people and pairings)."""
    community, street = _area("XS-DD-DG"), _area("XS-DD")
    organiser, committee = _user("organiser"), _user("committee")
    if community is None or street is None or organiser is None or committee is None:
        return
    volunteers = list(
        db.session.scalars(
            select(Volunteer)
            .where(Volunteer.home_community_id == community.id)
            .order_by(Volunteer.id)
        )
    )
    now = utcnow().replace(second=0, microsecond=0)

    def event(title: str, start: dt.datetime, hours: float, **extra: Any) -> Event:
        extra.setdefault("kind", EventKind.volunteer)
        extra.setdefault("place", "东谷社区党群服务中心")
        data = services.EventData(
            title=title,
            area=community,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=hours),
            **extra,
        )
        return services.create_event(data, actor=organiser)

    # On now: check in with the printable code (non-rotating), some already here.
    live = event("东谷社区环境清扫", now - dt.timedelta(minutes=40), 3, place="东谷社区中心广场")
    for volunteer in volunteers[1:4]:
        services.check_in(live, volunteer, actor=organiser, now=now - dt.timedelta(minutes=35))

    # Finished yesterday: approved, points paid (the first volunteer earns for the household).
    done_start = now - dt.timedelta(days=1, hours=3)
    done = event("敬老院陪伴老人", done_start, 2.5, points_value=2, place="丹东街道敬老院")
    household_of = {
        p.volunteer_id: p.household_id
        for p in db.session.scalars(select(Pairing).where(Pairing.volunteer_id.is_not(None)))
    }
    for i, volunteer in enumerate(volunteers[:5]):
        services.check_in(
            done,
            volunteer,
            actor=organiser,
            now=done_start + dt.timedelta(minutes=5 * i),
            for_household_id=household_of.get(volunteer.id) if i == 0 else None,
        )
        services.check_out(
            done,
            volunteer,
            actor=organiser,
            now=done_start + dt.timedelta(minutes=100 + 10 * i),
        )
    services.bulk_approve(done, actor=organiser, now=now)

    # A venture project published by the street, claimed by a social organisation.
    org = db.session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.social_organisation)
    ).first()
    project = projects.publish_project(
        title="独居老人助餐服务",
        area=street,
        budget_points=500,
        description="为独居老人送餐、陪聊，每月党群公益日集中服务。",
        actor=committee,
    )
    if org is not None:
        projects.claim_project(project, org, actor=committee)
        welfare_day = services.next_welfare_day((now + dt.timedelta(days=1)).date())
        start = dt.datetime.combine(welfare_day, dt.time(1, 0), tzinfo=dt.UTC)  # 09:00 local
        event(
            "党群公益日：助餐送餐",
            start,
            3,
            kind=EventKind.welfare_day,
            project=project,
            points_rule=PointsRule.fixed,
            points_value=5,
            place="东谷社区老年食堂",
        )

    # Party members report to their community, and the needs list.
    for volunteer in volunteers:
        if volunteer.is_party_member:
            party.register_party_member(volunteer, actor=organiser, now=now)
    party.post_need(
        community=community,
        title="帮3幢独居老人更换灯泡",
        source=NeedSource.resident,
        actor=organiser,
    )
    need = party.post_need(
        community=community,
        title="周末辅导小学生作业",
        source=NeedSource.community,
        actor=organiser,
    )
    members = [v for v in volunteers if v.is_party_member]
    if members:
        party.transition_need(need, NeedStatus.claimed, actor=organiser, volunteer=members[0])
    db.session.flush()
