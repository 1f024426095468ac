"""A volunteer's first time at an event, on a 360×740 phone, with no administrator: open
the event's code, tap "first time", fill in the sign-up, submit: checked in, pending; the
organiser then confirms the person with the attendance. A signed-in volunteer needs two
actions: open the code, tap 签到. Every tap target on these pages is at least 44 px.

An action is what the person does: open a link or code, tap a button, fill in a form
(typing into its fields and submitting count as one action each: "fill", "submit").
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.db import utcnow
from points_app.events import services
from points_app.events.models import Attendance, AttendanceStatus, Event, EventKind, PointsRule
from points_app.extensions import db
from points_app.people.models import Household, HouseholdCategory, Pairing, Volunteer
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.helpers import read_fresh
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
MIN_TAP = 44


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", **SMALL_PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        yield page
    finally:
        context.close()


def _shot(page: Any, name: str) -> None:
    """Keep a screenshot to look at when BROWSER_SHOTS names a folder."""
    folder = os.environ.get("BROWSER_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _small_tap_targets(page: Any) -> list[str]:
    """Buttons, fields and radio/checkbox labels in the main part smaller than 44 px high."""
    return page.evaluate(
        """(min) => Array.from(document.querySelectorAll(
              'main button, main .btn, main input:not([type=hidden]):not([type=radio])'
              + ':not([type=checkbox]), main select, main label.check'))
            .filter(el => el.offsetParent !== null)
            .filter(el => el.getBoundingClientRect().height < min)
            .map(el => el.outerHTML.slice(0, 80))""",
        MIN_TAP,
    )


def _event(organiser: Any, community: Any, **overrides: Any) -> Event:
    now = utcnow()
    fields: dict[str, Any] = {
        "title": "清扫楼道", "kind": EventKind.volunteer, "area": community,
        "starts_at": now - dt.timedelta(minutes=5), "ends_at": now + dt.timedelta(hours=2),
        "place": "社区A广场", "points_rule": PointsRule.fixed, "points_value": 3,
        "needs_checkout": False,
    }  # fmt: skip
    fields.update(overrides)
    event = services.create_event(services.EventData(**fields), actor=organiser)
    db.session.commit()
    return event


def _code_url(live_server: Any, app: Any, event: Event) -> str:
    with app.test_request_context():
        return live_server(f"/q/{services.event_token(event)}")


def test_a_first_time_volunteer_checks_in_in_four_actions_without_an_admin(
    app, live_server, small_phone, desktop_page, sign_in, tree, make_user
):
    community = tree["community_a"]
    organiser = make_user(Role.organiser, community, username="organiser")
    event = _event(organiser, community)
    code_url, event_id = _code_url(live_server, app, event), event.id
    db.session.rollback()
    phone, actions = small_phone, []

    phone.goto(code_url)
    actions.append("open the code")
    assert "/login" in phone.url
    assert "清扫楼道" in phone.locator(".scan-event").inner_text()  # the login page names it
    _shot(phone, "first-time-1-login")

    with phone.expect_navigation():
        phone.click("#join")
    actions.append("tap: first time, sign up")
    assert _small_tap_targets(phone) == []
    phone.fill("input[name=real_name]", "孙悦")
    phone.fill("input[name=phone]", "13755550001")
    phone.fill("input[name=password]", "my-password-1")
    actions.append("fill in the sign-up")
    _shot(phone, "first-time-2-join")
    with phone.expect_navigation():
        phone.click("form button[type=submit]")
    actions.append("submit")

    assert phone.url == live_server(f"/events/{event_id}/here")
    assert phone.locator("h1.checkin-state.ok").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(phone, "first-time-3-checked-in")
    assert len(actions) <= 5, actions

    def newcomer() -> tuple[AttendanceStatus, bool]:
        attendance = db.session.scalars(select(Attendance)).one()
        return attendance.status, attendance.volunteer.confirmed_at is not None

    assert read_fresh(newcomer) == (AttendanceStatus.pending, False)

    # The organiser sees the newcomer on the approval page and confirms them with it.
    sign_in(desktop_page, "organiser", PASSWORD)
    desktop_page.goto(live_server(f"/events/{event_id}"))
    assert "13755550001" in desktop_page.locator("#attendance").inner_text()
    _shot(desktop_page, "first-time-4-organiser")
    with desktop_page.expect_navigation():
        desktop_page.click("table.list form[action$='/approve'] button")
    assert read_fresh(newcomer) == (AttendanceStatus.approved, True)


def test_a_signed_in_volunteer_checks_in_in_two_actions(
    app, live_server, small_phone, sign_in, tree, make_user
):
    community = tree["community_a"]
    organiser = make_user(Role.organiser, community, username="organiser")
    user = make_user(Role.volunteer, community, username="13900000001")
    volunteer = Volunteer(
        real_name="张伟", phone="13900000001", home_community=community, user_id=user.id
    )
    household = Household(
        public_no="A-H001", head_name="王英", address="社区A1幢101室", community=community,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    db.session.add_all([volunteer, household])
    db.session.flush()
    db.session.add(Pairing(household=household, volunteer=volunteer, start_date=utcnow().date()))
    db.session.commit()
    event = _event(organiser, community, needs_checkout=True)
    code_url, event_id = _code_url(live_server, app, event), event.id
    db.session.rollback()
    phone = small_phone
    sign_in(phone, "13900000001", PASSWORD)  # earlier, on another day
    actions = []

    phone.goto(code_url)
    actions.append("open the code")
    assert phone.url == live_server(f"/events/{event_id}/here")
    assert _small_tap_targets(phone) == []  # the "积分给谁？" choices included
    _shot(phone, "signed-in-1-here")
    with phone.expect_navigation():
        phone.click("form button.huge")
    actions.append("tap 签到")

    assert phone.locator("h1.checkin-state.ok").count() == 1
    assert len(actions) == 2, actions
    assert read_fresh(lambda: db.session.scalars(select(Attendance.status)).one()) is (
        AttendanceStatus.pending
    )
    # Checking out minutes later asks first: it would count 0 minutes.
    questions: list[str] = []
    phone.on("dialog", lambda dialog: questions.append(dialog.message))
    with phone.expect_navigation():
        phone.click("form button.huge")
    assert questions and "0" in questions[0]
    _shot(phone, "signed-in-2-checked-out")


def test_an_event_not_started_shows_its_start_time(
    app, live_server, small_phone, sign_in, tree, make_user
):
    community = tree["community_a"]
    organiser = make_user(Role.organiser, community)
    user = make_user(Role.volunteer, community, username="13900000002")
    db.session.add(
        Volunteer(real_name="李娜", phone="13900000002", home_community=community, user_id=user.id)
    )
    db.session.commit()
    later = utcnow() + dt.timedelta(hours=3)
    event = _event(organiser, community, starts_at=later, ends_at=later + dt.timedelta(hours=1))
    code_url = _code_url(live_server, app, event)
    db.session.rollback()
    sign_in(small_phone, "13900000002", PASSWORD)
    small_phone.goto(code_url)
    assert small_phone.locator("form button.huge").count() == 0
    assert small_phone.locator("h1.checkin-state").count() == 1
    _shot(small_phone, "not-started")


def test_an_organiser_registers_a_volunteer_who_signs_in_from_the_printed_link(
    app, live_server, small_phone, desktop_page, sign_in, tree, make_user
):
    community = tree["community_a"]
    organiser = make_user(Role.organiser, community, username="organiser")
    event = _event(organiser, community)
    code_url, event_id, community_id = _code_url(live_server, app, event), event.id, community.id
    db.session.rollback()

    desk = desktop_page
    sign_in(desk, "organiser", PASSWORD)
    desk.goto(live_server("/volunteers/new"))
    desk.fill("input[name=real_name]", "陈静")
    desk.fill("input[name=phone]", "13912340001")
    desk.select_option("select[name=home_community_id]", str(community_id))
    with desk.expect_navigation():
        desk.click("form button[type=submit]")
    assert desk.locator("#sign-in-qr svg").count() == 1
    link = desk.locator("#sign-in-url").inner_text().strip()
    _shot(desk, "registered-1-link")

    phone, actions = small_phone, []
    phone.goto(link)
    actions.append("scan the printed code")
    phone.fill("input[name=new]", "my-password-1")
    phone.fill("input[name=confirm]", "my-password-1")
    actions.append("fill in the password twice")
    with phone.expect_navigation():
        phone.click("form button[type=submit]")
    actions.append("submit")
    phone.goto(code_url)
    actions.append("open the event's code")
    assert phone.url == live_server(f"/events/{event_id}/here")
    with phone.expect_navigation():
        phone.click("form button.huge")
    actions.append("tap 签到")
    assert phone.locator("h1.checkin-state.ok").count() == 1
    assert len(actions) == 5, actions
    # The link worked once.
    phone.goto(link)
    assert phone.locator(".refusal").count() == 1
