"""Demo history of residents' issues: raised, deliberated, handled, mediated, rated."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from points_app.areas.models import Area
from points_app.core.clock import local_zone
from points_app.core.db import utcnow
from points_app.extensions import db
from points_app.issues.models import (
    HandlingLevel,
    Issue,
    IssueCategory,
    IssueChannel,
    IssueEvaluation,
    IssueEvent,
    IssueState,
    Mediation,
    MediationOutcome,
)

ISSUES = {
    IssueCategory.neighbour_dispute: ["楼上漏水纠纷", "噪音扰民", "停车位争执"],
    IssueCategory.environment: ["楼道堆放杂物", "垃圾清运不及时", "绿化带被占"],
    IssueCategory.property_management: ["电梯故障", "路灯不亮", "物业费争议"],
    IssueCategory.public_services: ["公交站牌缺失", "老年食堂开放时间"],
    IssueCategory.legal: ["赡养纠纷咨询", "租房合同纠纷", "工伤赔偿咨询"],
    IssueCategory.illegal_building: ["阳台违建"],
    IssueCategory.other: ["小区wifi覆盖"],
}


def local_moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local wall-clock time on a day, as aware UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=local_zone()).astimezone(dt.UTC)


def add_issues_of_month(
    community: Area, month: dt.date, last: dt.date, rng: random.Random, actor_id: int | None
) -> list[int]:
    """Add a month's issues of a community; return the ids of those that were closed."""
    grids = list(db.session.scalars(select(Area).where(Area.parent_id == community.id)))
    closed = []
    now = utcnow()
    for _ in range(rng.randrange(4, 9)):
        category = rng.choice(list(ISSUES))
        raised = local_moment(month + dt.timedelta(days=rng.randrange((last - month).days + 1)), 10)
        if raised > now - dt.timedelta(hours=1):
            continue
        issue = Issue(
            title=rng.choice(ISSUES[category]),
            category=category,
            channel=rng.choice(list(IssueChannel)),
            area=rng.choice(grids or [community]),
            state=IssueState.raised,
            created_at=raised,
            raised_by_id=actor_id,
            resident_name="张**",
            is_anonymous=False,
        )
        db.session.add(issue)
        db.session.flush()
        steps: list[tuple[IssueState | None, IssueState, HandlingLevel | None, dt.datetime]] = [
            (None, IssueState.raised, None, raised)
        ]
        lines: list[IssueEvent] = []
        at = raised + dt.timedelta(days=rng.randrange(1, 5))
        level = rng.choice(
            [HandlingLevel.grid, HandlingLevel.grid, HandlingLevel.community, HandlingLevel.street]
        )
        if at < now:
            steps.append((IssueState.raised, IssueState.deliberating, None, at))
            at += dt.timedelta(days=rng.randrange(1, 6))
        if at < now:
            steps.append((IssueState.deliberating, IssueState.handling, level, at))
            issue.decision = "交由相关责任人办理"
            issue.due_on = (at + dt.timedelta(days=10)).date()
            at += dt.timedelta(days=rng.randrange(2, 20))
        if category is IssueCategory.neighbour_dispute and len(steps) == 3:
            outcome = rng.choice(list(MediationOutcome))
            mediation = Mediation(
                issue=issue,
                outcome=outcome,
                mediator="人民调解员 周",
                mediated_on=(at - dt.timedelta(days=1)).astimezone(local_zone()).date(),
                created_at=at,
                recorded_by_id=actor_id,
            )
            db.session.add(mediation)
            db.session.flush()
            lines.append(
                IssueEvent(
                    issue_id=issue.id,
                    from_state=IssueState.handling,
                    to_state=IssueState.handling,
                    level=level,
                    at=at,
                    actor_id=actor_id,
                    mediation_id=mediation.id,
                )
            )
        if at < now and len(steps) == 3 and rng.random() < 0.8:
            steps.append((IssueState.handling, IssueState.evaluating, level, at))
            issue.resolution = "已协调处理"
            at += dt.timedelta(days=rng.randrange(1, 4))
            if at < now:
                evaluation = IssueEvaluation(
                    issue=issue,
                    satisfaction=rng.choice([3, 4, 4, 5, 5]),
                    is_solved=True,
                    at=at,
                    is_by_proxy=True,
                    recorded_by_id=actor_id,
                )
                db.session.add(evaluation)
                db.session.flush()
                steps.append((IssueState.evaluating, IssueState.closed, level, at))
                issue.closed_at = at
                closed.append(issue.id)
        for src, dst, lvl, when in steps:
            lines.append(
                IssueEvent(
                    issue_id=issue.id,
                    from_state=src,
                    to_state=dst,
                    level=lvl,
                    at=when,
                    actor_id=actor_id,
                )
            )
        lines.sort(key=lambda e: e.at)
        db.session.add_all(lines)
        issue.state = steps[-1][1]
        issue.level = steps[-1][2]
        if issue.state is not IssueState.handling:
            issue.due_on = None
    return closed
