"""The resolution bonus: points that tie service to outcomes.

An event linked to a residents' issue may carry a bonus per attendee. When the issue is
closed with a solved, satisfied evaluation, every approved attendee of its linked events
gets the bonus once — to themselves or to the household they chose at check-in. Once is
kept by the database: `bonus_payments` is unique per attendance and issue, and the
payment and its transfer are written in one savepoint, so a second payer (a racing
evaluation, a retried request) writes nothing. An issue sent back or rejected pays
nothing, and a bonus paid is never taken back automatically.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from points_app.areas.services import community_of
from points_app.core.audit import record
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.events.models import Attendance, AttendanceStatus, Event, EventIssue
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household
from points_app.recognition.models import BonusPayment, EventBonus
from points_app.recognition.notice import hold_award

MAX_BONUS = 1000


def bonus_of(event: Event) -> int:
    """The event's resolution bonus per attendee (0: none)."""
    points = db.session.scalar(select(EventBonus.points).where(EventBonus.event_id == event.id))
    return int(points or 0)


def set_bonus(event: Event, points: int, *, actor: Any) -> None:
    """Set (or with 0 remove) the resolution bonus an event linked to an issue carries."""
    if not can(actor, Permission.manage_events, event.area):
        raise Forbidden(str(_l("You may not change this event.")))
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_BONUS:
        raise DomainError(
            "invalid_bonus",
            _l("The bonus is a whole number of points from 0 to %(max)s.", max=MAX_BONUS),
            422,
        )
    linked = db.session.scalar(select(EventIssue.issue_id).where(EventIssue.event_id == event.id))
    if points and linked is None:
        raise DomainError(
            "not_linked", _l("Only an event linked to a residents' issue can carry a bonus."), 422
        )
    current = db.session.get(EventBonus, event.id)
    if points == 0:
        if current is not None:
            db.session.delete(current)
    elif current is None:
        db.session.add(EventBonus(event_id=event.id, points=points))
    else:
        current.points = points
    record(actor, "event.bonus", "event", event.id, points=points)
    db.session.flush()


def pay_resolution_bonuses(issue: Any, *, actor: Any, at: dt.datetime) -> list[BonusPayment]:
    """Pay the bonus of every event linked to a closed issue to each approved attendee,
    once per attendance and issue; return the payments made now (none unless closed)."""
    from points_app.issues.models import IssueState
    from points_app.issues.workflow import lock_issue

    issue = lock_issue(issue)  # payers of one issue queue here (PostgreSQL)
    evaluation = issue.latest_evaluation
    if issue.state is not IssueState.closed or evaluation is None or not evaluation.is_accepted:
        return []
    rows = db.session.execute(
        select(Attendance, EventBonus.points)
        .join(Event, Event.id == Attendance.event_id)
        .join(EventIssue, EventIssue.event_id == Event.id)
        .join(EventBonus, EventBonus.event_id == Event.id)
        .where(
            EventIssue.issue_id == issue.id,
            Event.is_cancelled.is_(False),
            Attendance.status == AttendanceStatus.approved,
        )
        .order_by(Attendance.id)
    ).all()
    made = []
    for attendance, points in rows:
        payment = _pay(attendance, issue, points, actor=actor, at=at)
        if payment is not None:
            made.append(payment)
    return made


def _pay(
    attendance: Attendance, issue: Any, points: int, *, actor: Any, at: dt.datetime
) -> BonusPayment | None:
    paid = db.session.scalar(
        select(BonusPayment.id).where(
            BonusPayment.attendance_id == attendance.id, BonusPayment.issue_id == issue.id
        )
    )
    if paid is not None:
        return None
    community = community_of(attendance.event.area) or attendance.volunteer.home_community
    source = ledger.system_account(community, AccountKind.issuance)
    if attendance.for_household_id is not None:
        household = db.session.get(Household, attendance.for_household_id)
        assert household is not None
        target = ledger.account_for_household(household)
    else:
        target = ledger.account_for_volunteer(attendance.volunteer)
    try:
        with db.session.begin_nested():
            transfer = ledger.transfer(
                debit=source,
                credit=target,
                amount=points,
                kind=TransferKind.earn,
                actor=actor,
                memo=str(_l("Resolution bonus: %(title)s", title=issue.title))[:500],
                reference=("issue", issue.id),
                idempotency_key=f"bonus:{attendance.id}:{issue.id}",
            )
            payment = BonusPayment(
                attendance_id=attendance.id, issue_id=issue.id, transfer_id=transfer.id
            )
            db.session.add(payment)
            db.session.flush()
    except IntegrityError:
        return None  # paid by someone else at the same moment
    hold_award(transfer, community, at)
    return payment


def bonuses_for(issue_id: int) -> list[tuple[BonusPayment, Attendance]]:
    """The bonuses paid for an issue, with the attendance each rewarded."""
    return [
        (payment, attendance)
        for payment, attendance in db.session.execute(
            select(BonusPayment, Attendance)
            .join(Attendance, Attendance.id == BonusPayment.attendance_id)
            .where(BonusPayment.issue_id == issue_id)
            .order_by(BonusPayment.id)
        ).all()
    ]
