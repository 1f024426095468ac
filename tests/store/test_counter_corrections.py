"""The counter corrects itself: a line whose stock ran out is capped, a receipt waits for
the next card, a voided receipt says what went back, the committee voids after the window,
and a product's barcode is unique within its store."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store import services
from points_app.store.models import ProductCategory, Redemption
from tests.store.conftest import balance, stock


def _key(html: str) -> str:
    match = re.search(r'name="key"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _basket(client, shop, household) -> tuple[str, str]:
    token = services.household_card_token(household)
    page = client.post(f"/store/{shop.store.id}/counter", data={"code": token})
    return token, _key(page.get_data(as_text=True))


def test_a_line_whose_stock_ran_out_is_removed_and_the_refusal_says_so(
    shop, login_as, make_household
):
    client = login_as(shop.clerk)
    household = make_household(points=500)
    token, key = _basket(client, shop, household)
    # Another counter takes the last oil while this basket is open.
    services.adjust_stock(shop.oil, delta=-5, reason="盘点", actor=shop.admin)
    db.session.commit()
    response = client.post(
        f"/store/{shop.store.id}/redeem",
        data={"card": token, "key": key, f"qty-{shop.oil.id}": "2", f"qty-{shop.soap.id}": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-code="out_of_stock"' in html
    assert "taken out of the basket" in html
    assert f'name="qty-{shop.oil.id}" id="qty-{shop.oil.id}" value="0"' in html
    assert f'name="qty-{shop.soap.id}" id="qty-{shop.soap.id}" value="1"' in html
    assert re.search(r'id="total">5<', html)
    assert balance(household) == 500


def test_a_line_larger_than_the_stock_left_is_lowered_to_what_is_left(
    shop, login_as, make_household
):
    client = login_as(shop.clerk)
    household = make_household(points=500)
    token, key = _basket(client, shop, household)
    services.adjust_stock(shop.oil, delta=-3, reason="盘点", actor=shop.admin)  # 2 left
    db.session.commit()
    response = client.post(
        f"/store/{shop.store.id}/redeem",
        data={"card": token, "key": key, f"qty-{shop.oil.id}": "4"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "lowered to 2" in html
    assert f'name="qty-{shop.oil.id}" id="qty-{shop.oil.id}" value="2"' in html
    assert re.search(r'id="total">100<', html)
    confirm = client.post(
        f"/store/{shop.store.id}/redeem",
        data={"card": token, "key": key, f"qty-{shop.oil.id}": "2"},
    )
    assert confirm.status_code == 302 and stock(shop.oil) == 0


def test_the_receipt_waits_for_the_next_card_in_a_focused_scan_field(
    shop, login_as, make_household, redeem
):
    household = make_household(points=100)
    redemption = redeem(household, {shop.soap: 1})
    html = login_as(shop.clerk).get(f"/store/redemptions/{redemption.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="scan-form".*?</form>', html, re.S)
    assert form and f'action="/store/{shop.store.id}/counter"' in form.group(0)
    assert re.search(r'<input[^>]*id="code"[^>]*autofocus', form.group(0))


def test_a_voided_receipt_shows_what_went_back_instead_of_the_balance(
    shop, login_as, make_household, redeem, in_request
):
    household = make_household(points=200)
    redemption = redeem(household, {shop.rice: 2, shop.soap: 1})
    services.void_redemption(redemption, actor=shop.clerk, reason="录错了")
    db.session.commit()
    html = login_as(shop.clerk).get(f"/store/redemptions/{redemption.id}").get_data(as_text=True)
    assert 'id="voided-stamp"' in html and 'id="receipt-balance"' not in html
    assert re.search(r'id="receipt-returned">125<', html)
    put_back = re.search(r'id="receipt-put-back">(.*?)</p>', html, re.S)
    assert put_back and "大米 × 2" in put_back.group(1) and "肥皂 × 1" in put_back.group(1)
    assert 'id="scan-form"' not in html


def test_after_the_window_a_clerk_is_sent_to_the_committee_who_can_still_void(
    shop, login_as, make_household, make_user, redeem, in_request
):
    household = make_household(points=200)
    redemption = redeem(household, {shop.rice: 1})
    later = redemption.created_at + dt.timedelta(days=3)
    with pytest.raises(DomainError) as refused:
        services.void_redemption(redemption, actor=shop.clerk, reason="x", now=later)
    assert refused.value.code == "void_window_passed"
    assert "committee" in str(refused.value.message)
    db.session.rollback()

    committee = make_user(Role.committee, shop.store.community)
    services.void_redemption(redemption, actor=committee, reason="月底核对发现录错", now=later)
    db.session.commit()
    assert balance(household) == 200 and stock(shop.rice) == 10
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "redemption_voided")
    ).one()
    assert (entry.object_type, entry.object_id) == ("redemption", redemption.id)
    assert entry.detail == {"late": True} and entry.actor_id == committee.id


def test_the_receipt_offers_the_late_void_to_the_committee_only(
    app, shop, login_as, make_household, make_user, redeem, monkeypatch
):
    household = make_household(points=200)
    redemption = redeem(household, {shop.rice: 1})
    from points_app.store import views

    monkeypatch.setattr(views, "_today", lambda: dt.date.today() + dt.timedelta(days=5))
    clerk_page = login_as(shop.clerk).get(f"/store/redemptions/{redemption.id}")
    assert 'id="void-form"' not in clerk_page.get_data(as_text=True)
    assert 'id="void-closed"' in clerk_page.get_data(as_text=True)
    committee = make_user(Role.committee, shop.store.community)
    page = login_as(committee).get(f"/store/redemptions/{redemption.id}").get_data(as_text=True)
    assert 'id="void-form"' in page and 'id="late-void"' in page


def test_the_ledger_points_to_the_receipt_of_a_redemption(
    shop, login_as, make_household, make_user, redeem
):
    household = make_household(points=200)
    redemption = redeem(household, {shop.soap: 1})
    committee = make_user(Role.committee, shop.store.community)
    db.session.refresh(redemption)
    html = login_as(committee).get(f"/ledger/transfers/{redemption.transfer_id}")
    text = html.get_data(as_text=True)
    assert f'href="/store/redemptions/{redemption.id}"' in text and 'id="open-receipt"' in text


def test_a_barcode_names_one_product_per_store_and_the_refusal_names_code_and_product(
    shop, tree, in_request
):
    services.update_product(shop.rice, actor=shop.admin, barcode=" 6901234567890 ")
    db.session.commit()
    assert shop.rice.barcode == "6901234567890"
    with pytest.raises(DomainError) as refused:
        services.create_product(
            shop.store, name="面粉", category=ProductCategory.grain_oil, unit="袋",
            points_price=30, actor=shop.admin, barcode="6901234567890",
        )  # fmt: skip
    assert refused.value.code == "duplicate_barcode"
    message = str(refused.value.message)
    assert "6901234567890" in message and shop.rice.name in message
    db.session.rollback()
    other = services.create_store(community=tree["community_b"], name="B超市", actor=shop.admin)
    flour = services.create_product(
        other, name="大米", category=ProductCategory.grain_oil, unit="袋", points_price=30,
        actor=shop.admin, barcode="6901234567890",
    )  # fmt: skip
    db.session.commit()
    assert flour.barcode == "6901234567890"


def test_the_basket_lists_the_barcodes_for_the_scanner(shop, login_as, make_household):
    services.update_product(shop.soap, actor=shop.admin, barcode="6900000000017")
    db.session.commit()
    client = login_as(shop.clerk)
    household = make_household(points=10)
    page = client.post(
        f"/store/{shop.store.id}/counter",
        data={"code": services.household_card_token(household)},
    ).get_data(as_text=True)
    assert 'data-barcode="6900000000017"' in page and 'id="barcode"' in page
    assert re.search(r"<h1[^>]*>", page) and 'aria-live="polite"' in page
    assert db.session.scalar(select(Redemption.id)) is None
