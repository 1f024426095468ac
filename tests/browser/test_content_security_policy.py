"""Under the app's strict Content-Security-Policy the pages' scripts still do their jobs.

The page fixture fails any test whose console reports a CSP violation; this test also
drives what moved out of inline code: the rotating event code, list tables, the print
and confirm buttons, and the camera the counter may use (allowed to this origin only).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from points_app.cli.demo import DEMO_PASSWORD, load_demo
from points_app.events import services as events
from points_app.events.models import Attendance, Event
from points_app.extensions import db
from points_app.people.models import Volunteer
from points_app.store.models import Store
from tests.browser.helpers import read_fresh

pytestmark = pytest.mark.browser

FAKE_PRINT = "window.__printed = 0; window.print = function () { window.__printed += 1; };"


def test_pages_keep_working_with_the_content_security_policy(live_server, desktop_page, sign_in):
    load_demo()
    attendance = db.session.scalars(select(Attendance).order_by(Attendance.id)).first()
    event = db.session.get(Event, attendance.event_id)
    event.rotates_code = True
    volunteer_id = db.session.scalars(select(Volunteer.id).order_by(Volunteer.id)).first()
    store_id = db.session.scalars(select(Store.id).order_by(Store.id)).first()
    event_id = event.id
    db.session.commit()

    page = desktop_page
    page.add_init_script(FAKE_PRINT)
    page.clock.install()
    sign_in(page, "admin", DEMO_PASSWORD)

    # The rotating code fetches its next image at the window's end (qr-rotate.js).
    response = page.goto(live_server(f"/events/{event_id}/qr"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("#qr svg").count() == 1
    with page.expect_response(lambda r: f"/events/{event_id}/qr.svg" in r.url) as fetched:
        page.clock.run_for(31_000)
    assert fetched.value.ok
    page.wait_for_function("document.querySelector('#qr svg') !== null")

    # List tables label their cells for narrow screens (tables.js).
    page.goto(live_server(f"/events/{event_id}"))
    assert page.locator("table.list td[data-label]").count() > 0

    # Print and confirm buttons (page.js): "Cancel" changes nothing, "OK" goes on.
    page.goto(live_server(f"/volunteers/{volunteer_id}/card"))
    page.click("[data-print]")
    assert page.evaluate("window.__printed") == 1

    def version() -> int:
        return read_fresh(lambda: events.card_version(db.session.get(Volunteer, volunteer_id)))

    before = version()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-confirm]")
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/volunteers/{volunteer_id}/card")
    assert (
        read_fresh(lambda: events.card_version(db.session.get(Volunteer, volunteer_id))) == before
    )
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-confirm]")
    assert version() == before + 1

    # The counter may open the camera (Permissions-Policy: camera=(self)).
    page.goto(live_server(f"/store/{store_id}/counter"))
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')")
    assert not page.evaluate("document.featurePolicy.allowsFeature('geolocation')")
    tracks = page.evaluate(
        "navigator.mediaDevices.getUserMedia({video: true})"
        ".then(function (s) { var n = s.getVideoTracks().length;"
        " s.getTracks().forEach(function (t) { t.stop(); }); return n; })"
    )
    assert tracks == 1
    assert page.locator("input[autofocus], #scan-input, input[name=code]").count() >= 1
