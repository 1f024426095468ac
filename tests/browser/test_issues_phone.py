"""A grid worker on a phone records a resident's concern with a photo, then finds it."""

from __future__ import annotations

import pytest
from PIL import Image
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.issues.models import Issue
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_grid_worker_records_a_concern_with_a_photo_on_a_phone(
    app, live_server, phone_page, sign_in, tree, make_user, tmp_path
):
    app.config["ISSUE_PHOTO_DIR"] = str(tmp_path / "photos")
    make_user(Role.grid_worker, tree["grid_a"], username="grid", display_name="网格员 王")
    photo = tmp_path / "lamp.jpg"
    Image.new("RGB", (64, 48), (30, 30, 30)).save(photo, "JPEG")
    page = phone_page
    sign_in(page, "grid", PASSWORD)

    page.goto(live_server("/issues/new"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("input[name=title]", "路灯不亮")
    page.select_option("select[name=category]", "public_services")
    page.fill("input[name=resident_name]", "张三丰")
    page.fill("input[name=resident_phone]", "13812345678")
    page.set_input_files("input[name=photo]", str(photo))
    with page.expect_navigation():
        page.click("form button[type=submit]")

    issue = db.session.scalars(select(Issue)).one()
    assert page.url == live_server(f"/issues/{issue.id}")
    text = page.locator("main").inner_text()
    assert "路灯不亮" in text and "网格A" in text
    assert "张**" in text and "138****5678" in text and "张三丰" not in text
    size = page.locator(".photos img").first.evaluate("img => img.naturalWidth")
    assert size == 64
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(live_server("/issues/mine"))
    assert "路灯不亮" in page.locator("main").inner_text()
