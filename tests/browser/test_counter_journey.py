"""The counter at 1280×800 as a clerk works it: three households in a row, four actions
each with the next card scanned straight from the receipt; a household served by the
number on its card; the camera read in the page where the browser has no BarcodeDetector."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qrcode
from PIL import Image

from points_app.accounts.models import Role, User
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, HouseholdCategory
from points_app.store import services
from points_app.store.models import ProductCategory, StockMoveKind
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, chromium_path
from tests.browser.helpers import household_balance, read_fresh
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
VENDOR_READER = ROOT / "static" / "vendor" / "zxing" / "zxing-reader.js"
ACTIONS_PER_HOUSEHOLD = 4


class Clerk:
    """Counts what the clerk does: every scan (the scanner types and presses Enter),
    every typed-and-entered value, every click."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.actions = 0

    def scan(self, text: str, field: str = "#code") -> None:
        self.actions += 1
        self.page.locator(field).fill(text)
        with self.page.expect_navigation():
            self.page.locator(field).press("Enter")

    def tap(self, selector: str) -> None:
        self.actions += 1
        self.page.locator(selector).click()

    def confirm(self) -> None:
        self.actions += 1
        with self.page.expect_navigation():
            self.page.locator("#confirm-btn").click()


def _counter(app: Any, live_server: Any, make_user: Callable[..., User], tree: Any) -> dict:
    community = tree["community_a"]
    clerk = make_user(Role.clerk, community, username="clerk", display_name="周敏")
    store = services.create_store(community=community, name="东谷储爱超市", actor=clerk)
    soap = services.create_product(
        store, name="肥皂", category=ProductCategory.daily, unit="块", points_price=5, actor=clerk
    )
    rice = services.create_product(
        store, name="大米", category=ProductCategory.grain_oil, unit="袋", points_price=20,
        actor=clerk,
    )  # fmt: skip
    for product in (soap, rice):
        services.receive_stock(product, quantity=50, kind=StockMoveKind.purchase, actor=clerk)
    households = []
    for n in range(4):
        household = Household(
            public_no=f"XS-DD-DG-H{n + 1:03d}", head_name="王秀英", address="东谷路1号",
            community=community, category=HouseholdCategory.dibao, phone=f"1380574{n:04d}",
        )  # fmt: skip
        db.session.add(household)
        db.session.flush()
        ledger.transfer(
            debit=ledger.system_account(community, AccountKind.issuance),
            credit=ledger.account_for_household(household), amount=100,
            kind=TransferKind.issue, actor=clerk,
        )  # fmt: skip
        households.append(household)
    db.session.commit()
    from points_app.store.cards import card_url

    with app.test_request_context(base_url=live_server.url):
        cards = [card_url(h) for h in households]
    ids = {
        "store": store.id, "soap": soap.id, "rice": rice.id,
        "households": [h.id for h in households], "cards": cards,
    }  # fmt: skip
    db.session.rollback()
    return ids


def test_a_clerk_serves_three_households_in_a_row_in_four_actions_each(
    app, live_server, desktop_page, sign_in, tree, make_user
):
    ids = _counter(app, live_server, make_user, tree)
    page = desktop_page
    sign_in(page, "clerk", PASSWORD)
    page.goto(live_server(f"/store/{ids['store']}/counter"))
    clerk = Clerk(page)
    for n in range(3):
        before = clerk.actions
        # The scan field has the focus, on the counter and on the last receipt alike.
        assert page.evaluate("document.activeElement.id") == "code"
        clerk.scan(ids["cards"][n])
        assert page.locator("h1").inner_text().endswith(f"H{n + 1:03d} 户的购物篮")
        clerk.tap(f"li.product[data-id='{ids['rice']}'] .product-tap")
        clerk.tap(f"li.product[data-id='{ids['soap']}'] .product-tap")
        assert page.locator("#picked").inner_text().split() == ["肥皂", "×", "1", "大米", "×", "1"]
        assert page.locator("#totals").get_attribute("aria-live") == "polite"
        clerk.confirm()
        assert "/store/redemptions/" in page.url
        assert page.locator("#receipt-balance").inner_text() == "75"
        assert clerk.actions - before == ACTIONS_PER_HOUSEHOLD
    for household_id in ids["households"][:3]:
        assert read_fresh(lambda h=household_id: household_balance(h)) == 75


def test_a_household_without_its_card_is_served_by_the_number_on_it(
    app, live_server, desktop_page, sign_in, tree, make_user
):
    ids = _counter(app, live_server, make_user, tree)
    page = desktop_page
    sign_in(page, "clerk", PASSWORD)
    page.goto(live_server(f"/store/{ids['store']}/counter"))
    clerk = Clerk(page)
    clerk.scan("XS-DD-DG-H004")  # typed from the card; its QR code is unreadable
    assert "王**" in page.locator("#candidates").inner_text()
    clerk.scan("9999", field="input[name=last_four]")  # wrong: refused, nothing opens
    assert page.locator("#check-error").get_attribute("data-code") == "phone_mismatch"
    assert page.locator("#check-error .refusal-icon").is_visible()
    clerk.scan("0003", field="input[name=last_four]")
    assert page.locator("#without-card").is_visible()
    clerk.tap(f"li.product[data-id='{ids['rice']}'] .product-tap")
    clerk.confirm()
    assert page.locator("#receipt-balance").inner_text() == "80"
    assert clerk.actions == 5  # four, and one wrong answer
    assert read_fresh(lambda: household_balance(ids["households"][3])) == 80


def _y4m_of(text: str, path: Path) -> None:
    """A still 'camera' showing a QR code, as Chromium's fake capture device reads it."""
    qr = qrcode.make(text, box_size=8, border=4).convert("L")
    frame = Image.new("L", (640, 480), 255)
    qr.thumbnail((440, 440))
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    ycbcr = frame.convert("RGB").convert("YCbCr")
    y, cb, cr = ycbcr.split()
    half = (320, 240)
    body = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F5:1 Ip A1:1 C420jpeg\n")
        for _ in range(3):
            out.write(b"FRAME\n" + body)


@pytest.fixture
def camera_page(_playwright: Any, tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """A laptop-sized page whose camera films a given QR code, in a browser without
    BarcodeDetector (as iOS Safari and many WeChat webviews)."""
    if not VENDOR_READER.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("static/vendor is missing: run make install (npm ci)")
        pytest.skip("static/vendor is missing: run make install (npm ci)")
    browsers: list[Any] = []

    def open_page(text: str) -> Any:
        video = tmp_path / "card.y4m"
        _y4m_of(text, video)
        browser = _playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, timeout=60_000,
            args=[
                *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}",
            ],
        )  # fmt: skip
        browsers.append(browser)
        context = browser.new_context(locale="zh-CN", **DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script("delete window.BarcodeDetector;")
        return context.new_page()

    yield open_page
    for browser in browsers:
        browser.close()


# No inline script, no eval: only WebAssembly may be compiled ('wasm-unsafe-eval').
STRICT_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; "
    "style-src 'self'; object-src 'none'; base-uri 'none'"
)


def _with_strict_csp(route: Any) -> None:
    """Serve the counter's pages under a strict Content-Security-Policy."""
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch()
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": STRICT_CSP}
    )


def test_the_camera_reads_a_card_in_the_page_without_barcode_detector(
    app, live_server, camera_page, sign_in, tree, make_user
):
    ids = _counter(app, live_server, make_user, tree)
    page = camera_page(ids["cards"][0])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.route("**/store/**", _with_strict_csp)
    sign_in(page, "clerk", PASSWORD)
    page.goto(live_server(f"/store/{ids['store']}/counter"))
    assert page.evaluate("'BarcodeDetector' in window") is False
    assert not [url for url in requested if "/vendor/zxing/" in url]  # loaded only when used
    with page.expect_navigation(timeout=30_000):
        page.locator("#camera-btn").click()
    assert page.locator("h1").inner_text().endswith("H001 户的购物篮")
    assert [url for url in requested if url.endswith("zxing_reader.wasm")]


def test_without_the_reader_the_camera_hands_over_to_the_photo(
    app, live_server, camera_page, sign_in, tree, make_user
):
    ids = _counter(app, live_server, make_user, tree)
    page = camera_page(ids["cards"][0])
    sign_in(page, "clerk", PASSWORD)
    page.route("**/vendor/zxing/**", lambda route: route.abort())
    page.goto(live_server(f"/store/{ids['store']}/counter"))
    page.locator("#camera-btn").click()
    page.locator("#camera-note").wait_for(state="visible")
    assert page.locator("#camera-btn").is_hidden()
    assert page.evaluate("document.activeElement.id") == "photo"


def test_a_product_barcode_scanned_at_the_basket_adds_it_and_search_and_tabs_filter(
    app, live_server, desktop_page, sign_in, tree, make_user
):
    ids = _counter(app, live_server, make_user, tree)
    from points_app.store.models import Product

    soap = db.session.get(Product, ids["soap"])
    assert soap is not None
    services.update_product(soap, actor=None, barcode="6900000000017")
    db.session.commit()
    page = desktop_page
    sign_in(page, "clerk", PASSWORD)
    page.goto(live_server(f"/store/{ids['store']}/counter"))
    Clerk(page).scan(ids["cards"][0])
    # The cursor waits in the product field: the USB scanner reads the soap's packaging.
    assert page.evaluate("document.activeElement.id") == "barcode"
    page.keyboard.type("6900000000017")
    page.keyboard.press("Enter")
    page.keyboard.type("6900000000017")
    page.keyboard.press("Enter")
    assert page.locator(f"#qty-{ids['soap']}").input_value() == "2"
    assert page.locator("#picked").inner_text().split() == ["肥皂", "×", "2"]
    assert page.locator("#total").inner_text() == "10"
    page.keyboard.type("0000000000000")
    page.keyboard.press("Enter")
    assert "0000000000000" in page.locator("#barcode-status").inner_text()
    page.locator("#barcode").fill("大")
    assert page.locator(f"li.product[data-id='{ids['rice']}']").is_visible()
    assert page.locator(f"li.product[data-id='{ids['soap']}']").is_hidden()
    page.locator("#barcode").fill("")
    page.locator("#category-tabs [data-category='daily']").click()
    assert page.locator(f"li.product[data-id='{ids['soap']}']").is_visible()
    assert page.locator(f"li.product[data-id='{ids['rice']}']").is_hidden()
    assert (
        page.locator("#category-tabs [data-category='daily']").get_attribute("aria-pressed")
        == "true"
    )
