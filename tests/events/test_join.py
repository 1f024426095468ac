"""A first-time volunteer signs themselves up from the event's code and is checked in at
once, pending; the organiser confirms the person with the attendance. The sign-up is
validated and rate-limited, and never answers 500."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import g
from sqlalchemy import select

from points_app.events import services
from points_app.events.models import Attendance, AttendanceStatus
from points_app.extensions import db
from points_app.people.models import SelfSignup, Volunteer


def _token(app, event):
    with app.test_request_context():
        return services.event_token(event)


def _form(tree, **overrides):
    data = {
        "real_name": "孙悦", "phone": "13755550001",
        "home_community_id": tree["community_a"].id, "password": "my-password-1",
    }  # fmt: skip
    data.update(overrides)
    return data


def _scan(app, client, event):
    response = client.get(f"/q/{_token(app, event)}")
    assert response.status_code == 302
    return response


def test_the_login_page_reached_from_a_scan_names_the_event_and_offers_sign_up(app, client, event):
    response = _scan(app, client, event)
    page = client.get(response.location).get_data(as_text=True)
    assert event.title in page
    assert f"/events/{event.id}/join" in page


def test_a_first_timer_signs_up_and_is_checked_in_pending_unconfirmed(app, client, event, tree):
    _scan(app, client, event)
    response = client.post(f"/events/{event.id}/join", data=_form(tree))
    assert response.status_code == 302 and response.location.endswith(f"/events/{event.id}/here")
    volunteer = db.session.scalars(select(Volunteer).where(Volunteer.phone == "13755550001")).one()
    assert volunteer.confirmed_at is None and volunteer.user.username == "13755550001"
    attendance = db.session.scalars(
        select(Attendance).where(Attendance.volunteer_id == volunteer.id)
    ).one()
    assert attendance.status is AttendanceStatus.pending
    g.pop("_login_user", None)
    assert "13755550001" not in client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert client.get("/me/service").status_code == 200  # signed in on this phone


def test_without_a_fresh_scan_there_is_no_sign_up(client, event, tree):
    assert client.get(f"/events/{event.id}/join").status_code == 403
    assert client.post(f"/events/{event.id}/join", data=_form(tree)).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12345"}, "11-digit"),
        ({"real_name": " "}, "required"),
        ({"password": "short"}, "8"),
        ({"home_community_id": "999999"}, "Not a valid choice"),
        ({"real_name": "长" * 60}, "50"),
    ],
)
def test_bad_sign_ups_are_refused_with_a_clear_message(
    app, client, event, tree, overrides, message
):
    _scan(app, client, event)
    response = client.post(f"/events/{event.id}/join", data=_form(tree, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Volunteer.id).where(Volunteer.phone == "13755550001")) is None


def test_a_community_outside_the_event_is_refused(app, client, event, tree):
    _scan(app, client, event)
    data = _form(tree, home_community_id=tree["community_b"].id)
    response = client.post(f"/events/{event.id}/join", data=data)
    assert response.status_code == 422


def test_a_registered_phone_is_told_how_to_sign_in(app, client, event, tree, people):
    _scan(app, client, event)
    data = _form(tree, phone=people["v"].phone)
    response = client.post(f"/events/{event.id}/join", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already registered" in page and "Sign in" in page
    assert people["v"].real_name not in page


def test_too_many_sign_ups_from_one_address_are_slowed_down(app, client, event, tree):
    app.config["SELF_SIGNUP_MAX_PER_IP"] = 2
    for n in range(2):
        phone_client = app.test_client()
        _scan(app, phone_client, event)
        ok = phone_client.post(f"/events/{event.id}/join", data=_form(tree, phone=f"1375555000{n}"))
        assert ok.status_code == 302
        g.pop("_login_user", None)
    _scan(app, client, event)
    refused = client.post(f"/events/{event.id}/join", data=_form(tree, phone="13755550009"))
    assert refused.status_code == 429
    assert "Too many sign-ups" in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(SelfSignup.id))) == 2


def test_an_automatic_event_still_waits_for_the_newcomer_to_be_confirmed(
    app, client, make_event, tree
):
    event = make_event(needs_checkout=False, needs_approval=False)
    _scan(app, client, event)
    assert client.post(f"/events/{event.id}/join", data=_form(tree)).status_code == 302
    attendance = db.session.scalars(select(Attendance)).one()
    assert attendance.status is AttendanceStatus.pending and attendance.transfer_id is None


def test_approving_confirms_the_person_and_approve_all_leaves_newcomers(
    app, client, make_event, tree, people
):
    event = make_event(needs_checkout=False)
    _scan(app, client, event)
    client.post(f"/events/{event.id}/join", data=_form(tree))
    services.check_in(event, people["v"], actor=people["organiser"])
    db.session.commit()
    assert services.bulk_approve(event, actor=people["organiser"]) == 1
    newcomer = db.session.scalars(select(Attendance).where(Attendance.status == "pending")).one()
    services.approve_attendance(newcomer, actor=people["organiser"])
    db.session.commit()
    assert newcomer.status is AttendanceStatus.approved
    assert newcomer.volunteer.confirmed_at is not None


def test_the_approval_page_shows_who_is_unconfirmed(
    app, client, make_event, tree, people, sign_in_as
):
    event = make_event(needs_checkout=False)
    _scan(app, client, event)
    client.post(f"/events/{event.id}/join", data=_form(tree))
    g.pop("_login_user", None)
    sign_in_as(people["organiser"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "not confirmed" in page and "13755550001" in page
    assert "Confirm person and approve" in page


def test_an_event_that_has_not_started_shows_its_start_instead_of_check_in(
    app, client, make_event, people, sign_in_as, now
):
    event = make_event(starts_at=now + dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=4))
    sign_in_as(people["vol_user"])
    _scan(app, client, event)
    page = client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert "Starts at" in page and "Check-in opens at" in page
    assert 'value="in"' not in page


def test_checking_out_minutes_after_checking_in_warns_of_zero_minutes(
    app, client, make_event, people, sign_in_as, now
):
    event = make_event(
        starts_at=now + dt.timedelta(minutes=20), ends_at=now + dt.timedelta(hours=3)
    )
    services.check_in(event, people["v"], actor=people["vol_user"])
    db.session.commit()
    sign_in_as(people["vol_user"])
    _scan(app, client, event)
    page = client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert "counts 0 minutes" in page and "data-confirm" in page


def test_signing_up_before_check_in_opens_keeps_the_account_and_shows_the_start(
    app, client, make_event, tree, now
):
    event = make_event(starts_at=now + dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=3))
    _scan(app, client, event)
    response = client.post(f"/events/{event.id}/join", data=_form(tree))
    assert response.status_code == 302
    assert db.session.scalar(select(Volunteer.id).where(Volunteer.phone == "13755550001"))
    assert db.session.scalar(select(Attendance.id)) is None
    g.pop("_login_user", None)
    page = client.get(response.location).get_data(as_text=True)
    assert "Starts at" in page and "starts at" in page  # the heading and the refusal


def test_an_event_that_needs_a_sign_up_records_one_instead_of_a_check_in(
    app, client, make_event, tree
):
    from points_app.events.models import EventSignup

    event = make_event(signup_required=True)
    _scan(app, client, event)
    assert client.post(f"/events/{event.id}/join", data=_form(tree)).status_code == 302
    signup = db.session.scalars(select(EventSignup)).one()
    assert signup.approved_at is None and db.session.scalar(select(Attendance.id)) is None
    g.pop("_login_user", None)
    page = client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert "Sign-up needed" in page and 'value="in"' not in page
