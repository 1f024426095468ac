"""/api/v1/scan, /api/v1/checkins and /api/v1/attendances/{id}/approve."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from points_app.core import qr
from points_app.core.db import utcnow
from points_app.events import services
from points_app.events.models import Attendance
from points_app.extensions import db
from points_app.ledger.models import Transfer


def _codes(app, event, volunteer):
    with app.test_request_context():
        return qr.code_url(services.event_token(event)), qr.code_url(
            services.person_token(volunteer)
        )


def test_scan_tells_an_event_from_a_person_and_refuses_forgeries(
    app, client, api_headers, people, event
):
    event_code, card = _codes(app, event, people["v"])
    headers = api_headers(people["organiser"])
    r = client.post("/api/v1/scan", json={"code": event_code}, headers=headers)
    assert r.status_code == 200 and r.json["kind"] == "event" and r.json["id"] == event.id
    r = client.post("/api/v1/scan", json={"code": card}, headers=headers)
    assert r.json == {"kind": "person", "id": people["v"].id, "name": "张伟"}
    r = client.post("/api/v1/scan", json={"code": event_code[:-2] + "xx"}, headers=headers)
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_code"


def test_a_person_card_gives_the_real_name_only_to_organisers_of_the_volunteers_area(
    app, client, api_headers, people, tree, make_user
):
    from points_app.accounts.models import Role

    with app.test_request_context():
        card = qr.code_url(services.person_token(people["v"]))
    organiser_b = make_user(Role.organiser, tree["community_b"], username="organiser_b")
    clerk_a = make_user(Role.clerk, tree["community_a"], username="clerk_a")
    street = make_user(Role.committee, tree["street"], username="street")

    def scan_as(user):
        return client.post("/api/v1/scan", json={"code": card}, headers=api_headers(user)).json

    expected = {"kind": "person", "id": people["v"].id}
    assert scan_as(people["committee"]) == {**expected, "name": "张伟"}
    assert scan_as(street) == {**expected, "name": "张伟"}
    for outsider in (organiser_b, clerk_a, people["vol_user"], people["other_user"]):
        assert scan_as(outsider) == {**expected, "name": "张*"}, outsider.username


def test_the_person_card_page_is_only_for_organisers_of_the_volunteers_area(
    app, client, login_as, people, tree, make_user
):
    from points_app.accounts.models import Role

    with app.test_request_context():
        card = qr.code_url(services.person_token(people["v"]))
    path = card.split("localhost", 1)[-1]
    organiser_b = make_user(Role.organiser, tree["community_b"], username="organiser_b")

    assert "张伟" in login_as(people["organiser"]).get(path).get_data(as_text=True)
    response = login_as(organiser_b).get(path)
    assert response.status_code == 404 and "张伟" not in response.get_data(as_text=True)


def test_scan_of_an_expired_event_code_is_410(app, client, api_headers, people, make_event):
    event = make_event(rotates_code=True)
    with app.test_request_context():
        old = qr.sign("event", event.id, qr.current_window() - 3)
    r = client.post("/api/v1/scan", json={"code": old}, headers=api_headers(people["vol_user"]))
    assert r.status_code == 410 and r.json["error"]["code"] == "expired_code"


def test_scan_of_a_replaced_person_card_is_410(app, client, api_headers, people):
    with app.test_request_context():
        old = services.person_token(people["v"])
    services.reissue_person_card(people["v"], actor=people["organiser"])
    db.session.commit()
    r = client.post("/api/v1/scan", json={"code": old}, headers=api_headers(people["organiser"]))
    assert r.status_code == 410 and r.json["error"]["code"] == "card_revoked"


def test_checkin_twice_is_409_or_the_first_answer_under_the_same_key(
    app, client, api_headers, people, event
):
    event_code, _card = _codes(app, event, people["v"])
    h = api_headers(people["vol_user"], idempotency_key="scan-1")
    first = client.post("/api/v1/checkins", json={"code": event_code}, headers=h)
    assert first.status_code == 201 and first.json["status"] == "pending"
    again = client.post("/api/v1/checkins", json={"code": event_code}, headers=h)
    assert again.status_code == 201 and again.json == first.json
    other = client.post(
        "/api/v1/checkins", json={"code": event_code}, headers=api_headers(people["vol_user"])
    )
    assert other.status_code == 409 and other.json["error"]["code"] == "already_checked_in"
    assert db.session.scalar(select(func.count(Attendance.id))) == 1


def test_checkin_by_a_user_without_volunteer_profile_is_403(
    app, client, api_headers, people, event
):
    event_code, _card = _codes(app, event, people["v"])
    r = client.post(
        "/api/v1/checkins", json={"code": event_code}, headers=api_headers(people["committee"])
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "no_volunteer_profile"


def test_organiser_checks_a_card_in_and_out_and_approves_once(
    app, client, api_headers, people, make_event, now
):
    event = make_event(starts_at=now - dt.timedelta(hours=2))
    _event_code, card = _codes(app, event, people["v2"])
    h = api_headers(people["organiser"])
    r = client.post("/api/v1/checkins", json={"code": card, "event_id": event.id}, headers=h)
    assert r.status_code == 201
    attendance_id = r.json["id"]
    a = db.session.get(Attendance, attendance_id)
    a.checked_in_at = utcnow() - dt.timedelta(minutes=70)  # as if they came an hour ago
    db.session.commit()
    r = client.post(
        "/api/v1/checkins", json={"code": card, "event_id": event.id, "action": "out"}, headers=h
    )
    assert r.status_code == 200 and r.json["points_pending"] == 2
    url = f"/api/v1/attendances/{attendance_id}/approve"
    first = client.post(url, headers=h)
    second = client.post(url, headers=api_headers(people["committee"]))
    assert first.status_code == second.status_code == 200
    assert first.json["transfer"]["amount"] == 2
    assert second.json["transfer"]["id"] == first.json["transfer"]["id"]
    assert db.session.scalar(select(func.count(Transfer.id))) == 1


def test_organiser_of_another_community_cannot_check_in_or_approve(
    app, client, api_headers, make_user, people, event, tree
):
    _event_code, card = _codes(app, event, people["v2"])
    outsider = make_user("organiser", tree["community_b"])
    h = api_headers(outsider)
    r = client.post("/api/v1/checkins", json={"code": card, "event_id": event.id}, headers=h)
    assert r.status_code == 404
    a = services.check_in(event, people["v"], actor=None)
    db.session.commit()
    assert client.post(f"/api/v1/attendances/{a.id}/approve", headers=h).status_code == 404
