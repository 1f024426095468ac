"""Approval, points through the ledger, project budgets."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from points_app.core.errors import DomainError
from points_app.events import services
from points_app.events.models import Attendance, AttendanceMove, AttendanceStatus, PointsRule
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, Transfer


def _attend(event, volunteer, now, minutes, **kwargs):
    services.check_in(event, volunteer, actor=None, now=now, **kwargs)
    a = services.check_out(event, volunteer, actor=None, now=now + dt.timedelta(minutes=minutes))
    db.session.commit()
    return a


def _transfers() -> int:
    return db.session.scalar(select(func.count(Transfer.id))) or 0


def test_approval_pays_the_volunteer_from_the_community_issuance(event, people, now):
    a = _attend(event, people["v"], now, 135)
    services.approve_attendance(a, actor=people["organiser"], now=now)
    db.session.commit()
    assert a.status is AttendanceStatus.approved and a.points_awarded == 3
    assert ledger.balance_of(ledger.account_for_volunteer(people["v"])) == 3
    transfer = db.session.get(Transfer, a.transfer_id)
    assert transfer.reference == ("attendance", a.id) and transfer.amount == 3


def test_earning_for_my_household_pays_the_household(event, people, now):
    a = _attend(event, people["v"], now, 60, for_household_id=people["household"].id)
    services.approve_attendance(a, actor=people["organiser"], now=now)
    db.session.commit()
    assert ledger.balance_of(ledger.account_for_household(people["household"])) == 1
    assert ledger.balance_of(ledger.account_for_volunteer(people["v"])) == 0


def test_double_approval_makes_one_transfer(event, people, now):
    a = _attend(event, people["v"], now, 60)
    services.approve_attendance(a, actor=people["organiser"], now=now)
    db.session.commit()
    services.approve_attendance(a, actor=people["committee"], now=now)
    db.session.commit()
    assert _transfers() == 1
    moves = db.session.scalars(select(AttendanceMove).where(AttendanceMove.attendance_id == a.id))
    assert [(m.from_status, m.to_status) for m in moves] == [
        (AttendanceStatus.pending, AttendanceStatus.approved)
    ]


def test_each_decision_on_an_attendance_is_kept_with_who_when_and_the_approval_audited(
    event, make_event, people, now
):
    from points_app.core.audit import AuditEntry

    approved = _attend(event, people["v"], now, 60)
    rejected = _attend(make_event(title="义诊"), people["v"], now, 30)
    decided_at = now + dt.timedelta(hours=4)
    services.approve_attendance(approved, actor=people["organiser"], now=decided_at)
    services.reject_attendance(rejected, " 没有来 ", actor=people["committee"], now=decided_at)
    db.session.commit()
    moves = db.session.execute(
        select(AttendanceMove.attendance_id, AttendanceMove.to_status, AttendanceMove.actor_id,
               AttendanceMove.at, AttendanceMove.note)
        .order_by(AttendanceMove.id)
    ).all()  # fmt: skip
    assert [tuple(m) for m in moves] == [
        (approved.id, AttendanceStatus.approved, people["organiser"].id, decided_at, ""),
        (rejected.id, AttendanceStatus.rejected, people["committee"].id, decided_at, "没有来"),
    ]
    audited = db.session.execute(
        select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail).where(
            AuditEntry.action == "attendance.approve"
        )
    ).all()
    assert [tuple(a) for a in audited] == [("attendance", approved.id, {"points": 1})]
    assert db.session.scalar(
        select(AuditEntry.actor_id).where(AuditEntry.action == "attendance.approve")
    ) == people["organiser"].id  # fmt: skip
    assert (approved.decided_by_id, approved.decided_at) == (people["organiser"].id, decided_at)
    assert (rejected.decided_by_id, rejected.decided_at) == (people["committee"].id, decided_at)


def test_a_decided_attendance_cannot_be_decided_otherwise_and_says_what_it_is(
    app, event, people, now
):
    a = _attend(event, people["v"], now, 60)
    services.reject_attendance(a, "没有来", actor=people["organiser"], now=now)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.approve_attendance(a, actor=people["organiser"], now=now)
    assert (refused.value.code, refused.value.status) == ("invalid_transition", 409)
    with app.test_request_context():
        assert str(refused.value.message) == "This attendance is already rejected."


def test_bulk_approve_skips_who_is_still_checked_in(event, people, now):
    _attend(event, people["v"], now, 60)
    services.check_in(event, people["v2"], actor=None, now=now)
    db.session.commit()
    assert services.bulk_approve(event, actor=people["organiser"], now=now) == 1
    db.session.commit()
    assert _transfers() == 1


def test_approving_someone_still_checked_in_is_refused_and_names_them(app, event, people, now):
    a = services.check_in(event, people["v"], actor=None, now=now)
    db.session.commit()
    with pytest.raises(DomainError) as info:
        services.approve_attendance(a, actor=people["organiser"], now=now)
    assert (info.value.code, info.value.status) == ("still_checked_in", 409)
    with app.test_request_context():
        assert str(info.value.message) == "张伟 has not checked out yet."


def test_rejection_needs_a_reason_and_pays_nothing(event, people, now):
    a = _attend(event, people["v"], now, 60)
    with pytest.raises(DomainError) as info:
        services.reject_attendance(a, "  ", actor=people["organiser"])
    assert (info.value.code, info.value.status) == ("reason_required", 422)
    assert str(info.value.message) == "Say why the attendance is rejected."
    db.session.rollback()
    services.reject_attendance(a, "came for ten minutes", actor=people["organiser"])
    db.session.commit()
    with pytest.raises(DomainError) as info:
        services.approve_attendance(a, actor=people["organiser"])
    assert info.value.code == "invalid_transition"
    assert _transfers() == 0


def test_event_without_approval_or_checkout_pays_at_check_in(make_event, people, now):
    event = make_event(
        needs_checkout=False, needs_approval=False, points_rule=PointsRule.fixed, points_value=5
    )
    a = services.check_in(event, people["v"], actor=people["vol_user"], now=now)
    db.session.commit()
    assert a.status is AttendanceStatus.approved and a.points_awarded == 5


def test_points_cap_limits_per_hour_points(make_event, people, now):
    event = make_event(points_value=2, points_cap=3)
    a = _attend(event, people["v"], now, 150)
    services.approve_attendance(a, actor=people["organiser"], now=now)
    assert a.points_awarded == 3


def test_award_beyond_the_project_budget_is_refused_and_says_what_is_left(
    app, make_event, people, tree, now, claimed_project
):
    project = claimed_project(4)
    event = make_event(project=project, points_rule=PointsRule.fixed, points_value=3)
    a1 = _attend(event, people["v"], now, 30)
    a2 = _attend(event, people["v2"], now, 30)
    services.approve_attendance(a1, actor=people["organiser"], now=now)
    db.session.commit()
    with pytest.raises(DomainError) as info:
        services.approve_attendance(a2, actor=people["organiser"], now=now)
    assert info.value.code == "over_budget"
    assert (info.value.status, info.value.details) == (409, {"points_left": 1})
    with app.test_request_context():
        assert str(info.value.message) == (
            "The project has 1 points left of its budget; this award needs 3."
        )
    db.session.rollback()
    assert db.session.get(Attendance, a2.id).status is AttendanceStatus.pending
    assert project.points_spent == 3 and _transfers() == 1


def test_an_award_may_take_the_last_points_of_the_project_budget(
    make_event, people, now, claimed_project
):
    project = claimed_project(6)
    event = make_event(project=project, points_rule=PointsRule.fixed, points_value=3)
    for spent, volunteer in ((3, people["v"]), (6, people["v2"])):
        a = _attend(event, volunteer, now, 30)
        assert project.points_spent == spent - 3  # read before the award
        services.approve_attendance(a, actor=people["organiser"], now=now)
        # The project in hand shows what was spent, before any commit or reload.
        assert a.status is AttendanceStatus.approved and project.points_spent == spent
        db.session.commit()
    assert project.budget_points == 6 and _transfers() == 2


def test_the_points_come_from_the_community_where_the_service_was_given(event, people, tree, now):
    # The volunteer served in community A and moved to B before the approval: A's
    # issuance account pays, not the one of the community they live in now.
    a = _attend(event, people["v"], now, 60)
    people["v"].home_community = tree["community_b"]
    db.session.commit()
    services.approve_attendance(a, actor=people["organiser"], now=now)
    db.session.commit()
    transfer = db.session.get(Transfer, a.transfer_id)
    issuance_a = ledger.system_account(tree["community_a"], AccountKind.issuance)
    assert transfer.debit_account_id == issuance_a.id
    assert ledger.balance_of(ledger.system_account(tree["community_b"], AccountKind.issuance)) == 0


def test_summary_sums_hours_and_household_points(event, make_event, people, now):
    a = _attend(event, people["v"], now, 60, for_household_id=people["household"].id)
    services.approve_attendance(a, actor=people["organiser"], now=now)
    other = make_event(title="义诊")
    b = _attend(other, people["v"], now, 120)
    services.approve_attendance(b, actor=people["organiser"], now=now)
    db.session.commit()
    summary = services.service_summary(people["v"])
    assert summary.minutes == 180
    assert (summary.points_to_self, summary.points_to_households, summary.balance) == (2, 1, 2)


def test_an_award_where_the_community_posts_a_notice_waits_on_it(event, people, tree, now):
    from points_app.ledger.pending import PendingCredit
    from points_app.recognition.settings import notice_until, save_settings

    save_settings(
        tree["community_a"], actor=people["committee"], notice_days=7, certificates_at_once=False
    )
    a = _attend(event, people["v"], now, 60)
    services.approve_attendance(a, actor=people["organiser"], now=now)
    db.session.commit()
    held = db.session.execute(select(PendingCredit.transfer_id, PendingCredit.amount)).all()
    assert [tuple(h) for h in held] == [(a.transfer_id, 1)]
    until = db.session.scalar(select(PendingCredit.until_at))
    assert until == notice_until(tree["community_a"], now) and until > now
