"""An organiser creates an event and shows its code; a volunteer's phone opens the code,
signs in, checks in for the paired household and out; the organiser approves; the
household's balance rises by the event's points."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.db import utcnow
from points_app.events.models import Attendance, AttendanceStatus, Event
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.people.models import Household, HouseholdCategory, Pairing, Volunteer
from tests.browser.helpers import household_balance, read_fresh
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def test_event_from_qr_code_to_points_for_the_paired_household(
    live_server, desktop_page, phone_page, sign_in, tree, make_user
):
    community = tree["community_a"]
    make_user(Role.organiser, community, username="organiser", display_name="社工 李娜")
    vol_user = make_user(Role.volunteer, community, username="zhangwei", display_name="张伟")
    volunteer = Volunteer(
        real_name="张伟", phone="13900000001", home_community=community, user_id=vol_user.id
    )
    household = Household(
        public_no="A-H001", head_name="王英", address="社区A1幢101室", community=community,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    db.session.add_all([volunteer, household])
    db.session.flush()
    db.session.add(Pairing(household=household, volunteer=volunteer, start_date=utcnow().date()))
    household_id, community_id = household.id, community.id
    db.session.commit()
    # From here on the test thread reads only in short transactions that it ends at
    # once: on SQLite an open one (BEGIN IMMEDIATE) would block the server's writes.

    # The organiser creates an event on now, worth 3 points each, and opens its code.
    desk = desktop_page
    sign_in(desk, "organiser", PASSWORD)
    desk.goto(live_server("/events/new?lang=en"))
    desk.fill("input[name=title]", "清扫楼道")
    desk.select_option("select[name=area_id]", str(community_id))
    desk.fill("input[name=place]", "社区A广场")
    start = utcnow() - dt.timedelta(minutes=5)
    desk.fill("input[name=starts_at]", _local(start))
    desk.fill("input[name=ends_at]", _local(start + dt.timedelta(hours=2)))
    desk.select_option("select[name=points_rule]", "fixed")
    desk.fill("input[name=points_value]", "3")
    with desk.expect_navigation():
        desk.click("form button[type=submit]")
    event_id = read_fresh(lambda: db.session.scalars(select(Event.id)).one())
    assert desk.url == live_server(f"/events/{event_id}")
    desk.click("text=Show QR code")
    assert desk.locator("#qr svg").count() == 1
    code_url = desk.locator(".code-url").inner_text().strip()
    assert "/q/e." in code_url

    # The volunteer's phone opens the code, signs in, earns for the household.
    phone = phone_page
    phone.on("dialog", lambda dialog: dialog.accept())
    phone.goto(live_server("/lang/en"))
    phone.goto(code_url)
    assert "/login" in phone.url
    phone.fill("input[name=login]", "zhangwei")
    phone.fill("input[name=password]", PASSWORD)
    with phone.expect_navigation():
        phone.click("form button[type=submit]")
    assert phone.url == live_server(f"/events/{event_id}/here")
    phone.check(f"input[name=household_id][value='{household_id}']")
    with phone.expect_navigation():
        phone.click("button:has-text('Check in')")
    assert "Checked in at" in phone.locator("h1").inner_text()
    with phone.expect_navigation():
        phone.click("button:has-text('Check out')")
    assert "Checked out" in phone.locator("h1").inner_text()
    assert "3 points pending approval" in phone.locator(".checkin").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # The organiser approves; the household's balance rises by the rule's points.
    before = ledger.balance_of(
        ledger.account_for_household(db.session.get(Household, household_id))
    )
    db.session.commit()
    desk.goto(live_server(f"/events/{event_id}"))
    with desk.expect_navigation():
        desk.click("table.list form[action$='/approve'] button")
    assert "3 points" in desk.locator(".flash").inner_text()
    status = read_fresh(lambda: db.session.scalars(select(Attendance.status)).one())
    assert status is AttendanceStatus.approved
    assert read_fresh(lambda: household_balance(household_id)) - before == 3
