"""One residents' issue from start to finish, each person in their own browser.

A grid worker records it on a phone; the committee takes it up at a talk session and
decides it there, handing it to the community; the social worker records what was done;
a volunteer event that served the issue is approved (points through the ledger); the
resident rates it on their own phone, which closes it; the committee's review page shows
the volunteer's hours and points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.areas.models import Area
from points_app.core.db import utcnow
from points_app.events import services as events
from points_app.events.models import Attendance, AttendanceStatus, EventKind, PointsRule
from points_app.extensions import db
from points_app.issues.models import HandlingLevel, Issue, IssueState, TalkSession
from points_app.ledger import services as ledger
from points_app.people.models import Volunteer
from tests.browser.helpers import read_fresh
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@contextmanager
def _person(browser: Any, options: dict[str, Any]) -> Iterator[Any]:
    """A page in a browser context of its own: one person, their own cookies."""
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _state(issue_id: int) -> IssueState:
    query = select(Issue.state).where(Issue.id == issue_id)
    return read_fresh(lambda: db.session.scalars(query).one())


def _volunteer_balance(volunteer_id: int) -> int:
    volunteer = db.session.get(Volunteer, volunteer_id)
    assert volunteer is not None
    return ledger.balance_of(ledger.account_for_volunteer(volunteer))


def _open_move(page: Any, to: str) -> Any:
    """Open the issue page's <details> for a move and return its form."""
    page.click(f"details.move:has(form[action$='/move/{to}']) summary")
    return page.locator(f"form[action$='/move/{to}']")


def test_issue_from_phone_through_talk_session_handling_and_event_to_review(
    live_server, browser, phone_page, desktop_page, sign_in, tree, make_user
):
    community, grid = tree["community_a"], tree["grid_a"]
    make_user(Role.grid_worker, grid, username="grid", display_name="网格员 王")
    make_user(Role.committee, community, username="committee", display_name="村委 陈")
    organiser = make_user(Role.organiser, community, username="organiser", display_name="社工 李娜")
    volunteer = Volunteer(real_name="张伟", phone="13900000001", home_community=community)
    db.session.add(volunteer)
    db.session.commit()
    volunteer_id, community_id, grid_id = volunteer.id, community.id, grid.id
    db.session.rollback()
    # From here on the test thread reads only in short transactions that it ends at
    # once: on SQLite an open one (BEGIN IMMEDIATE) would block the server's writes.

    # 1. 说: the grid worker records the concern on a phone, at their own grid.
    phone = phone_page
    sign_in(phone, "grid", PASSWORD)
    phone.goto(live_server("/issues/new"))
    assert phone.locator("select[name=area_id]").input_value() == str(grid_id)
    phone.fill("input[name=title]", "楼道堆物堵塞消防通道")
    phone.select_option("select[name=category]", "public_services")
    phone.fill("textarea[name=description]", "3幢楼道堆满旧家具，消防通道不通。")
    phone.fill("input[name=resident_name]", "赵敏")
    phone.fill("input[name=resident_phone]", "13812345678")
    with phone.expect_navigation():
        phone.click("form button[type=submit]")
    issue_id = read_fresh(lambda: db.session.scalars(select(Issue.id)).one())
    assert phone.url == live_server(f"/issues/{issue_id}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert _state(issue_id) is IssueState.raised

    # 2. 议: the committee holds a talk session, takes the issue up there and decides it.
    desk = desktop_page
    sign_in(desk, "committee", PASSWORD)
    desk.goto(live_server("/issues/talks/new"))
    desk.select_option("select[name=area_id]", str(community_id))
    desk.fill("input[name=place]", "社区A议事厅")
    desk.fill("input[name=chair]", "陈书记")
    desk.fill("input[name='attendees-0-count']", "12")
    desk.fill("textarea[name=minutes]", "议定：周六清理3幢楼道，社工牵头，志愿者协助。")
    with desk.expect_navigation():
        desk.click("form button[type=submit]")
    session_id = read_fresh(lambda: db.session.scalars(select(TalkSession.id)).one())
    assert desk.url == live_server(f"/issues/talks/{session_id}")

    desk.goto(live_server(f"/issues/{issue_id}"))
    form = _open_move(desk, "deliberating")
    form.locator("select[name='deliberating-session_id']").select_option(str(session_id))
    form.locator("textarea[name='deliberating-note']").fill("提交本月说事会")
    with desk.expect_navigation():
        form.locator("button[type=submit]").click()
    assert desk.url == live_server(f"/issues/{issue_id}")
    assert _state(issue_id) is IssueState.deliberating

    form = _open_move(desk, "handling")
    form.locator("textarea[name='handling-decision']").fill("社工牵头组织志愿者清理楼道堆物")
    form.locator("select[name='handling-session_id']").select_option(str(session_id))
    form.locator("select[name='handling-level']").select_option(HandlingLevel.community.value)
    with desk.expect_navigation():
        form.locator("button[type=submit]").click()
    assert _state(issue_id) is IssueState.handling
    decided = read_fresh(
        lambda: db.session.execute(
            select(Issue.level, Issue.decided_session_id).where(Issue.id == issue_id)
        ).one()
    )
    assert tuple(decided) == (HandlingLevel.community, session_id)
    assert "社工牵头组织志愿者清理楼道堆物" in desk.locator("main").inner_text()
    desk.goto(live_server(f"/issues/talks/{session_id}"))
    assert "楼道堆物堵塞消防通道" in desk.locator("main").inner_text()

    with _person(browser, DESKTOP) as social:
        # 3. 办: the social worker, handling it for the community, records what was done.
        sign_in(social, "organiser", PASSWORD)
        social.goto(live_server(f"/issues/{issue_id}"))
        form = _open_move(social, "evaluating")
        form.locator("textarea[name='evaluating-note']").fill("志愿者清理了3幢楼道，通道已畅通。")
        with social.expect_navigation():
            form.locator("button[type=submit]").click()
        assert _state(issue_id) is IssueState.evaluating
        rating_url = social.locator("a[href*='/issues/rate/']").first.get_attribute("href")
        assert rating_url is not None and rating_url.startswith(live_server("/issues/rate/"))

        # 4. The volunteer event that served the issue: 90 minutes at 2 points an hour
        # (so 4 points), checked in and out through the services, approved on its page.
        start = utcnow().replace(microsecond=0) - dt.timedelta(hours=3)
        db.session.expire_all()
        event = events.create_event(
            events.EventData(
                title="清理3幢楼道", kind=EventKind.volunteer,
                area=db.session.get(Area, community_id),
                starts_at=start, ends_at=start + dt.timedelta(hours=2), place="社区A3幢",
                points_rule=PointsRule.per_hour, points_value=2, issue_ids=(issue_id,),
            ),
            actor=organiser,
        )  # fmt: skip
        volunteer = db.session.get(Volunteer, volunteer_id)
        events.check_in(event, volunteer, actor=organiser, now=start)
        events.check_out(event, volunteer, actor=organiser, now=start + dt.timedelta(minutes=90))
        event_id = event.id
        db.session.commit()
        before = read_fresh(lambda: _volunteer_balance(volunteer_id))

        social.goto(live_server(f"/events/{event_id}"))
        with social.expect_navigation():
            social.click("table.list form[action$='/approve'] button")
        assert "张伟获得4积分" in social.locator(".flash").inner_text()
        approved = read_fresh(
            lambda: db.session.execute(
                select(
                    Attendance.status, Attendance.minutes, Attendance.points_awarded,
                    Attendance.transfer_id.is_not(None),
                )
            ).one()
        )  # fmt: skip
        assert tuple(approved) == (AttendanceStatus.approved, 90, 4, True)
        assert read_fresh(lambda: _volunteer_balance(volunteer_id)) - before == 4

    # 5. 评: the resident rates it on their own phone, without signing in.
    with _person(browser, PHONE) as resident:
        resident.goto(rating_url)
        assert "志愿者清理了3幢楼道" in resident.locator("main").inner_text()
        resident.check("input[name=satisfaction][value='5']")
        resident.check("input[name=solved][value=yes]")
        resident.fill("textarea[name=comment]", "很快就清好了，谢谢！")
        with resident.expect_navigation():
            resident.click("form button[type=submit]")
        assert "感谢您的评价" in resident.locator(".flash-success").inner_text()
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    assert _state(issue_id) is IssueState.closed

    # 6. The committee's review shows who served, with hours and points.
    desk.goto(live_server(f"/issues/{issue_id}"))
    with desk.expect_navigation():
        desk.click(f"a[href$='/issues/{issue_id}/review']")
    assert desk.url == live_server(f"/issues/{issue_id}/review")
    text = desk.locator("main").inner_text()
    assert "社工牵头组织志愿者清理楼道堆物" in text and "社区A议事厅" in text
    assert "志愿者清理了3幢楼道，通道已畅通。" in text
    assert "★★★★★" in text
    totals = desk.locator(".contribution-totals").inner_text()
    assert "时长：1.5" in totals and "积分：4" in totals
    person = desk.locator(".contributors li", has_text="张伟").inner_text()
    assert "1.5小时 · 4积分" in person
    assert "清理3幢楼道" in text
