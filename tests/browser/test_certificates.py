"""A volunteer downloads a service certificate from "我的服务"; a visitor scans its QR
code and the verification page says it is genuine, with the name masked."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
import zxingcpp
from PIL import Image

from points_app.core.db import utcnow
from points_app.events import services as events
from points_app.extensions import db
from points_app.recognition.settings import save_settings
from tests.conftest import PASSWORD
from tests.events.conftest import make_event, people

__all__ = ["make_event", "people"]


@pytest.fixture
def now() -> dt.datetime:
    """The real clock: the live server and the browser run on it too."""
    return utcnow().replace(microsecond=0)


pytestmark = pytest.mark.browser


def test_volunteer_downloads_a_certificate_and_a_visitor_verifies_it(
    live_server, phone_page, browser, sign_in, tree, people, make_event, now, tmp_path
):
    event = make_event(title="清扫楼道")
    events.check_in(event, people["v"], actor=None, now=now)
    attendance = events.check_out(
        event, people["v"], actor=None, now=now + dt.timedelta(minutes=150)
    )
    events.approve_attendance(attendance, actor=people["organiser"], now=now)
    save_settings(
        tree["community_a"], actor=people["committee"], notice_days=0, certificates_at_once=True
    )
    db.session.commit()
    db.session.rollback()  # end the test thread's transaction: the server writes next

    phone = phone_page
    sign_in(phone, "vol", PASSWORD)
    phone.goto(live_server("/me/service"))
    phone.click("#my-certificates-link")
    with phone.expect_navigation():
        phone.click("#certificate-request button[type=submit]")
    assert "您的证明已出具" in phone.content()
    with phone.expect_download() as download_info:
        phone.click("#my-certificates a[download]")
    pdf_path = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf_path)

    reader = pypdf.PdfReader(pdf_path)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "志愿服务记录证明" in text and "2.5" in text
    image = next(image for page in reader.pages for image in page.images)
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert code.text.startswith(live_server("/recognition/verify/ZY"))
    number = code.text.rsplit("/", 1)[1]
    assert number in text

    # A visitor with no account opens the code's URL.
    visitor = browser.new_context(locale="zh-CN")
    try:
        page = visitor.new_page()
        page.goto(code.text)
        result = page.locator("#verify-result")
        assert result.locator("[data-status=genuine]").count() == 1
        shown = result.inner_text()
        assert number in shown and "张*" in shown and "张伟" not in shown and "2.5" in shown
        page.goto(live_server("/recognition/verify/ZY2026-FORGED2345"))
        assert page.locator("[data-status=unknown]").count() == 1
        page.screenshot(path=str(tmp_path / "verify.png"))
    finally:
        visitor.close()
