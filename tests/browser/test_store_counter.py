"""A clerk at the counter PC: the cursor waits in the scan field, a scanner "types" the
card's code and presses Enter, the clerk taps goods into the basket, confirms, sees the
receipt; balance and stock change once; a void puts both back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, TransferKind
from points_app.people.models import Household, HouseholdCategory
from points_app.store import services
from points_app.store.models import Product, ProductCategory, Redemption, StockMoveKind
from tests.browser.helpers import household_balance, read_fresh
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _stock(product_id: int) -> int:
    return int(db.session.scalar(select(Product.stock).where(Product.id == product_id)) or 0)


def test_clerk_scans_a_card_fills_the_basket_confirms_and_voids(
    app, live_server, desktop_page, sign_in, tree, make_user
):
    community = tree["community_a"]
    clerk = make_user(Role.clerk, community, username="clerk", display_name="周敏")
    store = services.create_store(community=community, name="东谷储爱超市", actor=clerk)
    rice = services.create_product(
        store, name="大米", category=ProductCategory.grain_oil, unit="袋", points_price=60,
        actor=clerk,
    )  # fmt: skip
    soap = services.create_product(
        store, name="肥皂", category=ProductCategory.daily, unit="块", points_price=5, actor=clerk
    )
    for product, quantity in ((rice, 10), (soap, 50)):
        services.receive_stock(product, quantity=quantity, kind=StockMoveKind.purchase, actor=clerk)
    household = Household(
        public_no="DG-H007", head_name="王秀英", address="东谷路1号", community=community,
        category=HouseholdCategory.dibao,
    )  # fmt: skip
    db.session.add(household)
    db.session.flush()
    ledger.transfer(
        debit=ledger.system_account(community, AccountKind.issuance),
        credit=ledger.account_for_household(household),
        amount=200,
        kind=TransferKind.issue,
        actor=clerk,
    )
    db.session.commit()
    with app.test_request_context(base_url=live_server.url):
        from points_app.store.cards import card_url

        scanned_text = card_url(household)
    ids = {"household": household.id, "rice": rice.id, "soap": soap.id, "store": store.id}
    db.session.rollback()

    page = desktop_page
    sign_in(page, "clerk", PASSWORD)
    page.goto(live_server(f"/store/{ids['store']}/counter"))

    # The cursor waits in the scan field: a USB scanner just types and presses Enter.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "code"
    page.keyboard.type(scanned_text)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "DG-H007" in page.locator("#household").inner_text()
    assert "王**" in page.content() and "王秀英" not in page.content()
    assert page.locator("#balance").inner_text() == "200"

    rice_item = page.locator(f"li.product[data-id='{ids['rice']}']")
    soap_item = page.locator(f"li.product[data-id='{ids['soap']}']")
    rice_item.locator(".product-tap").click()
    rice_item.locator(".qty-plus").click()
    rice_item.locator(".qty-plus").click()  # rice: 3 × 60 = 180
    soap_item.locator(".product-tap").click()
    soap_item.locator(".product-tap").click()
    soap_item.locator(".qty-plus").click()  # soap: 3 × 5, total 195
    soap_item.locator(".qty-plus").click()  # 200, the whole balance
    soap_item.locator(".qty-plus").click()  # 205: 5 points missing
    assert page.locator("#total").inner_text() == "205"
    assert page.locator("#missing").is_visible()
    assert page.locator("#confirm-btn").is_disabled()
    soap_item.locator(".qty-minus").click()  # the clerk removes an item
    soap_item.locator(".qty-minus").click()
    assert page.locator("#total").inner_text() == "195"
    assert page.locator("#left").inner_text() == "5"
    assert not page.locator("#missing").is_visible()

    with page.expect_navigation():
        page.locator("#confirm-btn").click()
    assert "/store/redemptions/" in page.url
    assert page.locator("#receipt-total").inner_text() == "195"
    assert page.locator("#receipt-balance").inner_text() == "5"

    assert read_fresh(lambda: household_balance(ids["household"])) == 5
    assert read_fresh(lambda: (_stock(ids["rice"]), _stock(ids["soap"]))) == (7, 47)
    assert read_fresh(lambda: db.session.scalar(select(func.count(Redemption.id)))) == 1

    # Going back and confirming again (a double tap, a retry) changes nothing more.
    page.go_back()
    if page.locator("#confirm-btn").count():
        with page.expect_navigation():
            page.evaluate("document.getElementById('basket').submit()")
    assert read_fresh(lambda: db.session.scalar(select(func.count(Redemption.id)))) == 1
    assert read_fresh(lambda: household_balance(ids["household"])) == 5

    # A void, confirmed, puts points and goods back.
    redemption_id = read_fresh(lambda: db.session.scalar(select(Redemption.id)))
    page.goto(live_server(f"/store/redemptions/{redemption_id}"))
    page.fill("#void-form textarea[name=reason]", "录错了")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#void-form button[type=submit]").click()
    assert page.locator("#receipt").get_attribute("data-status") == "voided"
    assert read_fresh(lambda: household_balance(ids["household"])) == 200
    assert read_fresh(lambda: (_stock(ids["rice"]), _stock(ids["soap"]))) == (10, 50)
