"""An organiser corrects the minutes of a pending attendance on a page."""

from __future__ import annotations

from points_app.events import services
from points_app.extensions import db


def test_an_organiser_corrects_the_minutes_of_a_pending_attendance(
    client, sign_in_as, people, make_event
):
    event = make_event()
    attendance = services.check_in(event, people["v"], actor=people["organiser"])
    db.session.commit()
    sign_in_as(people["organiser"])
    url = f"/events/{event.id}/attendances/{attendance.id}/minutes"
    assert url in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert client.get(url).status_code == 200
    response = client.post(url, data={"minutes": 90})
    assert response.status_code == 302
    db.session.refresh(attendance)
    assert attendance.minutes == 90 and attendance.is_manual


def test_minutes_beyond_the_event_are_refused_on_the_page(client, sign_in_as, people, make_event):
    event = make_event()
    attendance = services.check_in(event, people["v"], actor=people["organiser"])
    db.session.commit()
    sign_in_as(people["organiser"])
    url = f"/events/{event.id}/attendances/{attendance.id}/minutes"
    response = client.post(url, data={"minutes": event.length_minutes + 1})
    assert response.status_code == 200 and "longer than the event" in response.get_data(
        as_text=True
    )
    db.session.refresh(attendance)
    assert attendance.minutes is None


def test_another_communitys_organiser_cannot_open_it(
    client, sign_in_as, people, make_event, make_user, tree
):
    event = make_event()
    attendance = services.check_in(event, people["v"], actor=people["organiser"])
    db.session.commit()
    sign_in_as(make_user("organiser", tree["community_b"]))
    url = f"/events/{event.id}/attendances/{attendance.id}/minutes"
    assert client.get(url).status_code == 404
