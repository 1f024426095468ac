"""Check-in, check-out, codes and refusals, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.events import services
from points_app.events.models import Attendance, AttendanceMove, AttendanceStatus, EventSignup
from points_app.extensions import db


def _count() -> int:
    return db.session.scalar(select(func.count(Attendance.id))) or 0


def _refused(code: str, fn: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code
    db.session.rollback()
    return info.value


def test_check_in_then_out_counts_minutes_within_the_event(event, people, now):
    v = people["v"]
    a = services.check_in(event, v, actor=people["vol_user"], now=now)
    assert a.status is AttendanceStatus.pending and a.minutes is None
    out = services.check_out(
        event, v, actor=people["vol_user"], now=now + dt.timedelta(minutes=135)
    )
    assert out.minutes == 135
    assert services.points_for(event, out.minutes) == 3  # per started hour


def test_early_check_in_counts_from_the_start(make_event, people, now):
    event = make_event(
        starts_at=now + dt.timedelta(minutes=20), ends_at=now + dt.timedelta(hours=2)
    )
    services.check_in(event, people["v"], actor=None, now=now)
    a = services.check_out(event, people["v"], actor=None, now=now + dt.timedelta(minutes=80))
    assert a.minutes == 60


def test_second_check_in_is_refused_and_records_nothing(event, people, now):
    services.check_in(event, people["v"], actor=None, now=now)
    db.session.commit()
    error = _refused(
        "already_checked_in", services.check_in, event, people["v"], actor=None, now=now
    )
    assert error.status == 409
    assert _count() == 1


def test_check_out_before_check_in_is_refused(event, people, now):
    _refused("not_checked_in", services.check_out, event, people["v"], actor=None, now=now)


def test_second_check_out_is_refused(event, people, now):
    services.check_in(event, people["v"], actor=None, now=now)
    services.check_out(event, people["v"], actor=None, now=now + dt.timedelta(hours=1))
    _refused("already_checked_out", services.check_out, event, people["v"], actor=None, now=now)


def test_check_in_more_than_30_minutes_before_the_start_is_refused(make_event, people, now):
    event = make_event(
        starts_at=now + dt.timedelta(minutes=31), ends_at=now + dt.timedelta(hours=2)
    )
    _refused("not_started", services.check_in, event, people["v"], actor=None, now=now)
    assert _count() == 0


def test_check_in_after_the_end_is_refused(make_event, people, now):
    event = make_event(
        starts_at=now - dt.timedelta(days=2),
        ends_at=now - dt.timedelta(days=2) + dt.timedelta(hours=2),
    )
    _refused("event_ended", services.check_in, event, people["v"], actor=None, now=now)
    assert _count() == 0


def test_volunteer_of_another_community_is_refused(event, people, now):
    _refused("other_community", services.check_in, event, people["vb"], actor=None, now=now)


def test_street_level_event_takes_volunteers_of_every_community_below(
    make_event, people, tree, now
):
    event = make_event(area=tree["street"])
    assert services.check_in(event, people["vb"], actor=None, now=now).id


def test_user_without_volunteer_profile_is_refused(people):
    _refused("no_volunteer_profile", services.volunteer_for, people["organiser"])


def test_event_with_sign_up_refuses_volunteer_not_signed_up_or_not_approved(
    app, make_event, people, now
):
    event = make_event(signup_required=True)
    none = _refused("not_signed_up", services.check_in, event, people["v"], actor=None, now=now)
    signup = services.sign_up(event, people["v"], now=now)
    db.session.commit()
    waiting = _refused(
        "signup_not_approved", services.check_in, event, people["v"], actor=None, now=now
    )
    with app.test_request_context():
        assert [(e.status, str(e.message)) for e in (none, waiting)] == [
            (403, "This event needs a sign-up first, and you have none."),
            (403, "Your sign-up has not been approved by the organiser yet."),
        ]
    signup = db.session.get(EventSignup, signup.id)
    services.approve_signup(signup, actor=people["organiser"], now=now)
    assert services.check_in(event, people["v"], actor=None, now=now).id


def test_full_event_refuses_one_more(make_event, people, now):
    event = make_event(capacity=1)
    services.check_in(event, people["v"], actor=None, now=now)
    _refused("event_full", services.check_in, event, people["v2"], actor=None, now=now)


def test_earning_for_a_household_not_paired_is_refused(event, people, now):
    _refused(
        "not_paired", services.check_in, event, people["v2"], actor=None, now=now,
        for_household_id=people["household"].id,
    )  # fmt: skip


def test_stale_check_in_is_closed_at_the_end_and_flagged(event, people, now):
    services.check_in(event, people["v"], actor=None, now=now)
    db.session.commit()
    assert services.close_stale(now=event.ends_at + dt.timedelta(hours=11)) == 0
    assert services.close_stale(now=event.ends_at + dt.timedelta(hours=13)) == 1
    a = db.session.scalars(select(Attendance)).one()
    assert a.checked_out_at == event.ends_at and a.needs_review
    assert a.minutes == 180  # from check-in to the end


def test_manual_time_cannot_exceed_the_event_length_and_says_how_long_it_is(app, event, people):
    error = _refused(
        "too_many_minutes", services.add_manual_attendance, event, people["v"],
        event.length_minutes + 1, actor=people["organiser"],
    )  # fmt: skip
    with app.test_request_context():
        assert (error.status, str(error.message)) == (
            422, "The time cannot be longer than the event itself (190 minutes).",
        )  # fmt: skip
    a = services.add_manual_attendance(event, people["v"], 60, actor=people["organiser"])
    assert a.is_manual and a.minutes == 60


def _audited(action: str) -> list[tuple[Any, ...]]:
    from points_app.core.audit import AuditEntry

    query = select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail).where(
        AuditEntry.action == action
    )
    return [tuple(row) for row in db.session.execute(query)]


def test_a_manual_attendance_is_audited_on_the_attendance_it_wrote(event, people):
    a = services.add_manual_attendance(event, people["v"], 60, actor=people["organiser"])
    db.session.commit()
    assert _audited("attendance.manual") == [("attendance", a.id, {"minutes": 60})]


def test_a_correction_of_minutes_is_audited_on_the_attendance(event, people, now):
    services.check_in(event, people["v"], actor=None, now=now)
    a = services.check_out(event, people["v"], actor=None, now=now + dt.timedelta(minutes=30))
    services.set_minutes(a, 45, actor=people["organiser"])
    db.session.commit()
    assert a.minutes == 45 and a.is_manual
    assert _audited("attendance.set_minutes") == [("attendance", a.id, {"minutes": 45})]


# --- codes ---------------------------------------------------------------------------


def test_printed_code_of_a_fixed_event_leads_to_it(app, event):
    with app.test_request_context():
        token = services.event_token(event)
        assert services.event_from_code(qr.verify(qr.code_url(token))).id == event.id


def test_rotating_code_accepts_current_and_previous_window_only(app, make_event, now):
    event = make_event(rotates_code=True)
    with app.test_request_context():
        token = services.event_token(event, now)  # shown 5 s into its window, on a frozen clock
        assert services.event_from_code(qr.verify(token), now + dt.timedelta(seconds=30)).id
        # The window after next starts 55 s later: the code shown now has expired by then.
        assert services.event_from_code(qr.verify(token), now + dt.timedelta(seconds=54)).id
        _refused(
            "expired_code",
            services.event_from_code,
            qr.verify(token),
            now + dt.timedelta(seconds=55),
        )


def test_rotating_code_tolerates_one_window_of_clock_skew_ahead_not_two(app, make_event, now):
    event = make_event(rotates_code=True)
    window = qr.current_window(now.timestamp())
    with app.test_request_context():
        for extra, good in ((window - 2, False), (window - 1, True), (window, True),
                            (window + 1, True), (window + 2, False)):  # fmt: skip
            scanned = qr.verify(qr.sign("event", event.id, extra))
            if good:
                assert services.event_from_code(scanned).id == event.id
            else:
                _refused("expired_code", services.event_from_code, scanned)


def test_the_code_shown_now_changes_every_thirty_seconds(app, make_event, now, frozen_clock):
    event = make_event(rotates_code=True)
    with app.test_request_context():
        first = services.event_token(event)
        frozen_clock.shift(24)  # 29 s into the window
        assert services.event_token(event) == first
        frozen_clock.shift(1)  # the next window
        second = services.event_token(event)
        assert second != first
        assert qr.verify(second).extra == qr.verify(first).extra + 1
        assert services.event_from_code(qr.verify(first)).id == event.id


def test_a_fixed_event_code_carries_no_window(app, event):
    with app.test_request_context():
        assert qr.verify(services.event_token(event)).extra is None
        _refused("expired_code", services.event_from_code, qr.verify(qr.sign("event", event.id, 1)))


def test_a_code_of_a_missing_event_is_invalid(app, event):
    with app.test_request_context():
        _refused("invalid_code", services.event_from_code, qr.verify(qr.sign("event", 999)))


def test_a_code_of_a_cancelled_event_is_refused(app, event):
    event.is_cancelled = True
    db.session.commit()
    with app.test_request_context():
        error = _refused(
            "event_cancelled", services.event_from_code, qr.verify(qr.sign("event", event.id))
        )
        assert str(error.message) == "This event has been cancelled."
    assert error.status == 410


def test_fixed_code_is_refused_once_the_event_rotates(app, make_event):
    event = make_event(rotates_code=True)
    with app.test_request_context():
        _refused("expired_code", services.event_from_code, qr.verify(qr.sign("event", event.id)))


def test_edited_event_code_is_refused(app, event):
    with app.test_request_context():
        token = services.event_token(event)
        forged = token.replace(f"e.{event.id}.", f"e.{event.id + 1}.", 1)
        _refused("invalid_code", qr.verify, forged)


def test_person_card_is_refused_after_it_is_reissued(app, people):
    with app.test_request_context():
        old = services.person_token(people["v"])
        assert services.volunteer_from_card(qr.verify(old)).id == people["v"].id
        services.reissue_person_card(people["v"], actor=people["organiser"])
        db.session.commit()
        _refused("card_revoked", services.volunteer_from_card, qr.verify(old))
        new = services.person_token(people["v"])
        assert services.volunteer_from_card(qr.verify(new)).id == people["v"].id


def test_person_card_is_not_an_event_code(app, event, people):
    with app.test_request_context():
        _refused(
            "invalid_code", services.event_from_code, qr.verify(services.person_token(people["v"]))
        )


def test_an_event_code_is_not_a_volunteer_card(app, event):
    with app.test_request_context():
        error = _refused(
            "invalid_code", services.volunteer_from_card, qr.verify(services.event_token(event))
        )
        assert error.status == 400
        assert str(error.message) == "This is not a volunteer card. Scan the volunteer's card."


def test_a_card_of_no_volunteer_is_invalid(app, people):
    with app.test_request_context():
        error = _refused(
            "invalid_code", services.volunteer_from_card, qr.verify(qr.sign("person", 999, 1))
        )
        assert error.status == 400


def test_a_replaced_volunteer_card_is_refused_with_410_and_says_why(app, people):
    with app.test_request_context():
        old = services.person_token(people["v"])
        services.reissue_person_card(people["v"], actor=people["organiser"])
        db.session.commit()
        error = _refused("card_revoked", services.volunteer_from_card, qr.verify(old))
        assert error.status == 410
        assert str(error.message) == (
            "This card has been replaced by a newer one. Ask for the new card."
        )


def test_a_volunteer_card_is_not_an_event_code_and_says_so(app, people):
    with app.test_request_context():
        card = qr.verify(services.person_token(people["v"]))
        error = _refused("invalid_code", services.event_from_code, card)
        assert error.status == 400
        assert str(error.message) == "This is not an event code. Scan the code of the event."


def test_an_expired_event_code_is_a_410_that_says_scan_again(app, make_event, now):
    event = make_event(rotates_code=True)
    window = qr.current_window(now.timestamp())
    with app.test_request_context():
        error = _refused(
            "expired_code",
            services.event_from_code,
            qr.verify(qr.sign("event", event.id, window - 2)),
        )
        assert error.status == 410
        assert (
            str(error.message) == "This code has expired. Scan the code shown at the event again."
        )


def test_a_rotating_code_is_signed_for_the_window_of_the_moment_asked_for(app, make_event, now):
    event = make_event(rotates_code=True)
    later = now + dt.timedelta(minutes=5)
    with app.test_request_context():
        assert qr.verify(services.event_token(event)).extra == qr.current_window(now.timestamp())
        assert qr.verify(services.event_token(event, later)).extra == qr.current_window(
            later.timestamp()
        )
        assert qr.current_window(later.timestamp()) == qr.current_window(now.timestamp()) + 10


def test_each_reissued_person_card_is_the_next_version_and_is_audited(app, people):
    from points_app.core.audit import AuditEntry
    from points_app.events.models import VolunteerCard

    v = people["v"]
    assert services.card_version(v) == 1  # no card row until the first reissue
    assert services.reissue_person_card(v, actor=people["organiser"]) == 2
    first_issued = db.session.get(VolunteerCard, v.id).issued_at
    assert services.reissue_person_card(v, actor=people["organiser"]) == 3
    assert services.reissue_person_card(v, actor=people["organiser"]) == 4
    db.session.commit()
    assert services.card_version(v) == 4
    card = db.session.get(VolunteerCard, v.id)
    assert card.issued_at is not None and first_issued is not None
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "volunteer.card_reissue")
        .order_by(AuditEntry.id)
    )
    assert [(e.actor_id, e.object_type, e.object_id) for e in entries] == [
        (people["organiser"].id, "volunteer", v.id)
    ] * 3


def test_each_check_in_and_out_refusal_says_what_happened_and_when(app, make_event, people, now):
    v = people["v"]
    soon = make_event(starts_at=now + dt.timedelta(minutes=31), ends_at=now + dt.timedelta(hours=2))
    over = make_event(starts_at=now - dt.timedelta(hours=5), ends_at=now - dt.timedelta(hours=2))
    full = make_event(capacity=1, needs_checkout=False)
    services.check_in(full, people["v2"], actor=None, now=now)
    open_ = make_event()
    db.session.commit()
    said = {}

    def refusal(what: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        with pytest.raises(DomainError) as refused:
            fn(*args, **kwargs)
        db.session.rollback()
        said[what] = (refused.value.code, refused.value.status, str(refused.value.message))

    with app.test_request_context():
        refusal("too early", services.check_in, soon, v, actor=None, now=now)
        refusal("too late", services.check_in, over, v, actor=None, now=now)
        refusal("full", services.check_in, full, v, actor=None, now=now)
        refusal("out before in", services.check_out, open_, v, actor=None, now=now)
        services.check_in(open_, v, actor=None, now=now - dt.timedelta(minutes=7))
        db.session.commit()
        refusal("in twice", services.check_in, open_, v, actor=None, now=now)
        services.check_out(open_, v, actor=None, now=now + dt.timedelta(minutes=50))
        db.session.commit()
        refusal(
            "out twice", services.check_out, open_, v, actor=None, now=now + dt.timedelta(hours=1)
        )
        refusal("out not needed", services.check_out, full, people["v2"], actor=None, now=now)
    code, status, early = said.pop("too early")
    # The start as the request's locale writes it (Babel's short format, CLDR's spaces).
    assert (code, status) == ("not_started", 409)
    assert early.startswith("The event starts at 3/10/26, 10:31")
    assert early.endswith("; check-in opens 30 minutes before.")
    assert said == {
        "too late": ("event_ended", 409, "The event ended at 08:00; check-in is closed."),
        "full": ("event_full", 409, "The event is full."),
        "out before in": (
            "not_checked_in", 409,
            "You have not checked in at this event, so you cannot check out.",
        ),
        "in twice": ("already_checked_in", 409, "Already checked in at 09:53."),
        "out twice": ("already_checked_out", 409, "Already checked out at 10:50."),
        "out not needed": (
            "no_checkout_needed", 409, "This event needs no check-out; your time is counted.",
        ),
    }  # fmt: skip


def test_a_check_in_that_lost_the_race_to_the_same_volunteer_is_refused_naming_the_first(
    app, event, people, now, monkeypatch
):
    from points_app.events.services import checkin

    first = services.check_in(event, people["v"], actor=None, now=now - dt.timedelta(minutes=3))
    db.session.commit()
    # The second request read "not in yet" just before the first one's row was written;
    # only the look-up after its insert was skipped sees the winner.
    real, looked_up = checkin._checked_in_at, []

    def miss_once(event_id: int, volunteer_id: int) -> Any:
        looked_up.append(volunteer_id)
        return None if len(looked_up) == 1 else real(event_id, volunteer_id)

    monkeypatch.setattr(checkin, "_checked_in_at", miss_once)
    with pytest.raises(DomainError) as refused:
        services.check_in(event, people["v"], actor=None, now=now)
    assert (refused.value.code, refused.value.details) == (
        "already_checked_in", {"attendance_id": first.id},
    )  # fmt: skip
    with app.test_request_context():
        assert str(refused.value.message) == "Already checked in at 09:57."
    assert looked_up == [people["v"].id, people["v"].id]
    db.session.rollback()
    assert _count() == 1


def test_a_sign_up_is_once_per_event_and_one_for_another_event_does_not_count_here(
    make_event, people, now
):
    first, second = make_event(signup_required=True), make_event(signup_required=True)
    mine = services.sign_up(first, people["v"], now=now)
    assert services.sign_up(first, people["v"], now=now) is mine
    there = services.sign_up(second, people["v"], now=now)
    db.session.commit()
    assert there is not mine and (there.event_id, mine.event_id) == (second.id, first.id)


def test_an_event_without_approval_pays_at_check_out_and_the_move_says_automatic(
    make_event, people, now
):
    event = make_event(needs_approval=False)
    services.check_in(event, people["v"], actor=None, now=now)
    a = services.check_out(event, people["v"], actor=None, now=now + dt.timedelta(minutes=90))
    db.session.commit()
    assert a.status is AttendanceStatus.approved and a.points_awarded == 2
    notes = db.session.scalars(
        select(AttendanceMove.note).where(AttendanceMove.attendance_id == a.id)
    )
    assert list(notes) == ["automatic"]


def test_checking_out_closes_the_stale_check_ins_of_no_other_event(make_event, event, people, now):
    # Yesterday's event, ended 14 hours ago, still has someone checked in.
    yesterday = make_event(
        title="义诊", starts_at=now - dt.timedelta(hours=20), ends_at=now - dt.timedelta(hours=14)
    )
    left_in = services.check_in(
        yesterday, people["v2"], actor=None, now=now - dt.timedelta(hours=19)
    )
    services.check_in(event, people["v"], actor=None, now=now)
    db.session.commit()
    services.check_out(event, people["v"], actor=None, now=now + dt.timedelta(minutes=40))
    db.session.commit()
    db.session.refresh(left_in)
    assert left_in.checked_out_at is None and not left_in.needs_review


def test_an_event_has_stale_check_ins_only_while_someone_is_still_in_long_after_it(
    event, people, now
):
    services.check_in(event, people["v"], actor=None, now=now)
    services.check_in(event, people["v2"], actor=None, now=now)
    db.session.commit()
    late = event.ends_at + dt.timedelta(hours=13)
    assert not services.has_stale(event, now=event.ends_at + dt.timedelta(hours=11))
    assert services.has_stale(event, now=late)
    for volunteer in (people["v"], people["v2"]):
        services.check_out(event, volunteer, actor=None, now=now + dt.timedelta(hours=1))
    db.session.commit()
    assert not services.has_stale(event, now=late)


def test_a_refusal_outside_a_request_writes_the_local_time_in_full(app, make_event, people, now):
    # A command or a worker has no request, so no locale: the date is written out whole.
    soon = make_event(starts_at=now + dt.timedelta(minutes=31), ends_at=now + dt.timedelta(hours=2))
    with pytest.raises(DomainError) as refused:
        services.check_in(soon, people["v"], actor=None, now=now)
    with app.test_request_context():
        assert str(refused.value.message) == (
            "The event starts at 2026-03-10 10:31; check-in opens 30 minutes before."
        )


def test_a_volunteer_of_another_community_is_told_where_the_event_is_for(app, event, people, now):
    error = _refused("other_community", services.check_in, event, people["vb"], actor=None, now=now)
    with app.test_request_context():
        assert (error.status, str(error.message)) == (
            403, "This event is for volunteers of 社区A; you are registered in 社区B.",
        )  # fmt: skip


def test_no_one_signs_up_for_an_event_that_is_over(app, make_event, people, now):
    over = make_event(
        signup_required=True,
        starts_at=now - dt.timedelta(hours=5),
        ends_at=now - dt.timedelta(hours=1),
    )
    error = _refused("event_ended", services.sign_up, over, people["v"], now=now)
    with app.test_request_context():
        assert (error.status, str(error.message)) == (409, "The event is over.")


def test_a_check_out_long_after_the_end_finds_the_attendance_closed_at_the_end(
    app, event, people, now
):
    attendance = services.check_in(event, people["v"], actor=None, now=now)
    db.session.commit()
    # Thirteen hours after the end: the check-out first closes what is stale, at the
    # end and flagged for review, so the volunteer is told they were checked out then.
    with pytest.raises(DomainError) as refused:
        services.check_out(
            event, people["v"], actor=None, now=event.ends_at + dt.timedelta(hours=13)
        )
    assert refused.value.code == "already_checked_out"
    assert attendance.checked_out_at == event.ends_at and attendance.needs_review
    with app.test_request_context():
        assert str(refused.value.message) == "Already checked out at 13:00."


def test_the_events_open_to_a_volunteer_are_those_on_now_in_the_organisers_area_by_start(
    make_event, tree, people, now
):
    later = make_event(title="义诊", starts_at=now + dt.timedelta(minutes=20))
    earlier = make_event(title="清扫", starts_at=now - dt.timedelta(hours=1))
    make_event(
        title="明天", starts_at=now + dt.timedelta(hours=20), ends_at=now + dt.timedelta(hours=22)
    )
    make_event(
        title="结束", starts_at=now - dt.timedelta(hours=4), ends_at=now - dt.timedelta(hours=1)
    )
    cancelled = make_event(title="取消")
    cancelled.is_cancelled = True
    make_event(title="社区B", area=tree["community_b"])
    db.session.commit()
    organiser = people["organiser"]
    assert services.open_events_for(organiser, people["v"], now=now) == [earlier, later]
    # A volunteer of community B may serve at none of community A's events.
    assert services.open_events_for(organiser, people["vb"], now=now) == []


def test_an_approved_sign_up_lets_the_volunteer_into_that_event_only(make_event, people, now):
    first, second = make_event(signup_required=True), make_event(signup_required=True)
    signup = services.sign_up(first, people["v"], now=now)
    services.approve_signup(signup, actor=people["organiser"], now=now)
    db.session.commit()
    _refused("not_signed_up", services.check_in, second, people["v"], actor=None, now=now)
    assert services.check_in(first, people["v"], actor=None, now=now).event_id == first.id


def test_the_live_list_shows_who_is_still_in_the_latest_arrival_first(event, people, now):
    services.check_in(event, people["v"], actor=None, now=now - dt.timedelta(minutes=8))
    services.check_in(event, people["v2"], actor=None, now=now - dt.timedelta(minutes=2))
    db.session.commit()
    assert [row["name"] for row in services.present(event)] == ["李娜", "张伟"]
    services.check_out(event, people["v2"], actor=None, now=now + dt.timedelta(minutes=30))
    db.session.commit()
    assert [row["name"] for row in services.present(event)] == ["张伟"]


def test_check_in_is_open_up_to_the_last_moment_of_the_event(event, people, now):
    at_the_end = services.check_in(event, people["v"], actor=None, now=event.ends_at)
    assert at_the_end.checked_in_at == event.ends_at
    _refused(
        "event_ended", services.check_in, event, people["v2"], actor=None,
        now=event.ends_at + dt.timedelta(seconds=1),
    )  # fmt: skip
