"""A committee member on a phone registers a household in need, pairs it and ends the pairing."""

from __future__ import annotations

import re

import pytest

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.people import services
from tests.conftest import PASSWORD
from tests.people.conftest import valid_id, wrong_check

pytestmark = pytest.mark.browser


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_committee_on_a_phone_registers_pairs_and_ends(
    live_server, phone_page, sign_in, tree, make_user
):
    committee = make_user(Role.committee, tree["community_a"], username="committee")
    volunteer = services.create_volunteer(
        committee, real_name="张伟", phone="13900001111", home_community=tree["community_a"]
    )
    partner = f"v:{volunteer.id}"
    grid_id = tree["grid_a"].id
    # Release the test's own transaction: the server thread must be able to write.
    db.session.commit()
    page = phone_page
    sign_in(page, "committee", PASSWORD)

    page.goto(live_server("/households"))
    assert _fits_the_phone(page)
    page.click("a[href='/households/new']")
    page.fill("input[name=head_name]", "刘桂英")
    page.fill("input[name=members_count]", "2")
    page.select_option("select[name=area_id]", str(grid_id))
    page.fill("input[name=address]", "社区A二幢303室")
    page.select_option("select[name=category]", "disability")
    bad = wrong_check(valid_id(42))
    page.fill("input[name=id_number]", bad)
    with page.expect_navigation():
        page.click("form button[type=submit]")

    # Refused beside the field, with what was typed still there.
    field = page.locator(".field.has-error", has=page.locator("input[name=id_number]"))
    assert field.locator(".error").is_visible()
    assert page.input_value("input[name=id_number]") == bad
    assert page.input_value("input[name=head_name]") == "刘桂英"

    page.fill("input[name=id_number]", valid_id(42))
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert re.search(r"/households/\d+$", page.url)
    assert "S-a-H001" in page.locator("h1").inner_text()
    assert valid_id(42) not in page.content()  # masked
    assert _fits_the_phone(page)

    page.click("a[href^='/pairings/new?household=']")
    page.select_option("select[name=partner]", partner)
    page.fill("input[name=start_date]", "2026-02-01")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert re.search(r"/pairings/\d+$", page.url)
    assert "张伟" in page.locator("main").inner_text()

    page.fill("input[name=end_date]", "2026-03-31")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action$='/end'] button[type=submit]")
    assert "2026-03-31" in page.locator("main").inner_text()
    assert page.locator("form[action$='/end']").count() == 0
