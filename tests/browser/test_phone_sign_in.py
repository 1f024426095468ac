"""A person on a phone signs in through the real form and moves around."""

from __future__ import annotations

import pytest

from points_app.accounts.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_on_a_phone_signs_in_and_opens_the_area_tree(
    live_server, phone_page, sign_in, tree, make_user
):
    make_user(Role.admin, tree["county"], username="admin", display_name="县管理员")
    page = phone_page

    sign_in(page, "admin", PASSWORD)

    assert page.url == live_server("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "县管理员" in page.locator("h1").inner_text()
    # The page fits the phone: nothing wider than the screen forces sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    page.locator("main a[href='/areas/']").first.click()
    page.wait_for_url(live_server("/areas/"))
    tree_text = page.locator("ul.tree").inner_text()
    for name in ("象山县", "丹东街道", "社区A", "网格A", "微网格B"):
        assert name in tree_text


def test_wrong_password_keeps_the_person_on_the_login_form(live_server, phone_page, tree):
    page = phone_page
    page.goto(live_server("/login"))
    page.fill("input[name=login]", "nobody")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/login" in page.url
    assert page.locator("input[name=login]").input_value() == "nobody"


def test_desktop_sign_in_shows_the_top_navigation(
    live_server, desktop_page, sign_in, tree, make_user
):
    make_user(Role.admin, tree["county"], username="admin")
    page = desktop_page

    sign_in(page, "admin", PASSWORD)

    nav = page.locator("header nav")
    assert nav.is_visible()
    nav.locator("a[href='/areas/']").click()
    page.wait_for_url(live_server("/areas/"))
    assert "象山县" in page.locator("main").inner_text()
