"""Event pages through the test client: create, code, landing, check-in, scanning, approval."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from points_app.core import qr
from points_app.core.db import utcnow
from points_app.events import services
from points_app.events.models import Attendance, AttendanceStatus, Event
from points_app.extensions import db
from points_app.ledger import services as ledger


def _local(moment: dt.datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def _token(app, event):
    with app.test_request_context():
        return services.event_token(event)


def test_organiser_creates_an_event_and_sees_its_code(client, sign_in_as, people, tree):
    sign_in_as(people["organiser"])
    start = utcnow() + dt.timedelta(hours=1)
    response = client.post(
        "/events/new",
        data={
            "title": "敬老院义演", "kind": "volunteer", "area_id": tree["community_a"].id,
            "project_id": 0, "place": "敬老院", "starts_at": _local(start),
            "ends_at": _local(start + dt.timedelta(hours=2)), "points_rule": "per_hour",
            "points_value": 2, "needs_checkout": "y", "needs_approval": "y",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event)).one()
    assert event.title == "敬老院义演" and event.points_value == 2
    assert abs((event.starts_at - start).total_seconds()) < 60
    page = client.get(f"/events/{event.id}/qr").get_data(as_text=True)
    assert "<svg" in page and "/q/e." in page
    assert "<svg" in client.get(f"/events/{event.id}/poster").get_data(as_text=True)


def test_event_of_another_community_is_not_found(client, sign_in_as, make_user, event, tree):
    sign_in_as(make_user("organiser", tree["community_b"]))
    assert client.get(f"/events/{event.id}").status_code == 404
    assert client.get(f"/events/{event.id}/qr").status_code == 404


def test_phone_lands_signs_in_and_checks_in_and_out(app, client, sign_in_as, people, event):
    token = _token(app, event)
    response = client.get(f"/q/{token}")
    assert response.status_code == 302
    assert "/login?next=" in response.location and f"/events/{event.id}/here" in response.location
    sign_in_as(people["vol_user"])
    page = client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert "Check in" in page and "Earn for my household" in page
    client.post(f"/events/{event.id}/here", data={"action": "in"})
    page = client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert "Checked in at" in page
    assert client.post(f"/events/{event.id}/here", data={"action": "in"}).status_code == 409
    client.post(f"/events/{event.id}/here", data={"action": "out"})
    page = client.get(f"/events/{event.id}/here").get_data(as_text=True)
    assert "Checked out" in page and "points pending approval" in page
    assert db.session.scalars(select(Attendance)).one().checked_out_at is not None


def test_second_check_in_page_says_when(app, client, sign_in_as, people, event):
    sign_in_as(people["vol_user"])
    client.get(f"/q/{_token(app, event)}")
    client.post(f"/events/{event.id}/here", data={"action": "in"})
    response = client.post(f"/events/{event.id}/here", data={"action": "in"})
    assert response.status_code == 409
    assert "Already checked in at" in response.get_data(as_text=True)


def test_forged_code_gets_a_refusal_page_and_records_nothing(client, sign_in_as, people, event):
    sign_in_as(people["vol_user"])
    response = client.get(f"/q/e.{event.id}.AAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 400
    assert "not one of ours" in response.get_data(as_text=True)
    assert client.get(f"/events/{event.id}/here").status_code == 403
    assert db.session.scalars(select(Attendance)).first() is None


def test_expired_rotating_code_is_refused(app, client, sign_in_as, people, make_event):
    event = make_event(rotates_code=True)
    with app.test_request_context():
        old = qr.sign("event", event.id, qr.current_window() - 2)
    sign_in_as(people["vol_user"])
    response = client.get(f"/q/{old}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_check_in_without_a_scan_is_refused(client, sign_in_as, people, event):
    sign_in_as(people["vol_user"])
    response = client.post(f"/events/{event.id}/here", data={"action": "in"})
    assert response.status_code == 410
    assert db.session.scalars(select(Attendance)).first() is None


def test_user_without_volunteer_profile_gets_a_clear_message(
    app, client, sign_in_as, people, event
):
    sign_in_as(people["committee"])
    client.get(f"/q/{_token(app, event)}")
    response = client.get(f"/events/{event.id}/here")
    assert response.status_code == 403
    assert "not linked to a volunteer profile" in response.get_data(as_text=True)


def test_organiser_scans_a_card_in_then_out_and_sees_the_live_list(
    app, client, sign_in_as, people, event
):
    with app.test_request_context():
        card = qr.code_url(services.person_token(people["v2"]))
    sign_in_as(people["organiser"])
    headers = {"Accept": "application/json"}
    first = client.post(f"/events/{event.id}/scan", data={"code": card}, headers=headers)
    assert first.status_code == 200 and first.json["action"] == "in"
    live = client.get(f"/events/{event.id}/present.json").json
    assert live["count"] == 1 and live["present"][0]["name"] == "李娜"
    second = client.post(f"/events/{event.id}/scan", data={"code": card}, headers=headers)
    assert second.json["action"] == "out"
    assert client.get(f"/events/{event.id}/present.json").json["count"] == 0
    bad = client.post(f"/events/{event.id}/scan", data={"code": "p.1.2.xx"}, headers=headers)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_code"


def test_organiser_approves_and_the_volunteer_sees_the_points(client, sign_in_as, people, event):
    a = services.check_in(event, people["v"], actor=None)
    services.check_out(event, people["v"], actor=None, now=utcnow() + dt.timedelta(minutes=50))
    db.session.commit()
    sign_in_as(people["organiser"])
    client.post(f"/events/{event.id}/attendances/{a.id}/approve")
    client.post(f"/events/{event.id}/attendances/{a.id}/approve")
    db.session.expire_all()
    assert db.session.get(Attendance, a.id).status is AttendanceStatus.approved
    assert ledger.balance_of(ledger.account_for_volunteer(people["v"])) == 1
    sign_in_as(people["vol_user"])
    page = client.get("/me/service").get_data(as_text=True)
    assert "清扫楼道" in page and "1 points" in page


def test_detail_page_closes_forgotten_check_outs(client, sign_in_as, people, make_event):
    start = utcnow() - dt.timedelta(days=2)
    event = make_event(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    db.session.add(Attendance(event_id=event.id, volunteer_id=people["v"].id, checked_in_at=start))
    db.session.commit()
    sign_in_as(people["organiser"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "never checked out" in page
    db.session.expire_all()
    assert db.session.scalars(select(Attendance)).one().needs_review


def test_close_stale_command(runner, people, make_event):
    start = utcnow() - dt.timedelta(days=2)
    event = make_event(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    db.session.add(Attendance(event_id=event.id, volunteer_id=people["v"].id, checked_in_at=start))
    db.session.commit()
    result = runner.invoke(args=["events", "close-stale"])
    assert result.exit_code == 0 and "1" in result.output
