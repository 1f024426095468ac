"""The store pages through the test client: counter, basket, receipt, cards, stock."""

from __future__ import annotations

import io
import re

import pytest
import qrcode
from PIL import Image
from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.core import qr
from points_app.extensions import db
from points_app.people.models import Household
from points_app.store import services
from points_app.store.models import Product, Redemption, StockMove
from tests.store.conftest import balance, stock


def _key(html: str) -> str:
    match = re.search(r'name="key"[^>]*value="([^"]+)"', html)
    assert match, "the basket page carries an idempotency key"
    return match.group(1)


def _png_of(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text, box_size=6, border=4).save(out)
    return out.getvalue()


@pytest.fixture
def clerk_client(shop, login_as):
    return login_as(shop.clerk)


def _card_url(app, household) -> str:
    with app.test_request_context():
        return qr.code_url(services.household_card_token(household))


def test_scanning_a_card_opens_the_basket_without_personal_data(
    app, shop, clerk_client, make_household
):
    household = make_household(points=120, head_name="王秀英", phone="13812345678")
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter", data={"code": _card_url(app, household)}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert household.public_no in html and "王**" in html and "120" in html
    assert "王秀英" not in html and "13812345678" not in html
    assert 'name="qty-' in html


def test_the_counter_page_waits_in_the_scan_field(shop, clerk_client):
    html = clerk_client.get(f"/store/{shop.store.id}/counter").get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*id="code"|<input[^>]*id="code"[^>]*autofocus', html)


def test_a_basket_confirmed_twice_makes_one_redemption(shop, clerk_client, make_household):
    household = make_household(points=200)
    token = services.household_card_token(household)
    page = clerk_client.post(f"/store/{shop.store.id}/counter", data={"code": token})
    form = {"card": token, "key": _key(page.get_data(as_text=True)), f"qty-{shop.rice.id}": "2"}

    first = clerk_client.post(f"/store/{shop.store.id}/redeem", data=form)
    second = clerk_client.post(f"/store/{shop.store.id}/redeem", data=form)

    assert first.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    receipt = clerk_client.get(first.headers["Location"]).get_data(as_text=True)
    assert "大米" in receipt and "120" in receipt and "80" in receipt
    assert balance(household) == 80 and stock(shop.rice) == 8


def test_not_enough_points_keeps_the_basket_and_says_what_is_missing(
    shop, clerk_client, make_household
):
    household = make_household(points=100)
    token = services.household_card_token(household)
    form = {"card": token, "key": "k1", f"qty-{shop.rice.id}": "2", f"qty-{shop.soap.id}": "1"}
    response = clerk_client.post(f"/store/{shop.store.id}/redeem", data=form)
    html = response.get_data(as_text=True)

    assert response.status_code == 409
    assert 'data-code="insufficient_points"' in html and "25" in html
    assert re.search(rf'name="qty-{shop.rice.id}"[^>]*value="2"', html)
    assert db.session.scalar(select(func.count(Redemption.id))) == 0
    assert balance(household) == 100


def test_update_total_recomputes_without_redeeming(shop, clerk_client, make_household):
    household = make_household(points=100)
    form = {
        "card": services.household_card_token(household), "key": "k",
        f"qty-{shop.soap.id}": "3", "action": "update",
    }  # fmt: skip
    response = clerk_client.post(f"/store/{shop.store.id}/redeem", data=form)
    assert response.status_code == 200
    assert re.search(r'id="total">15<', response.get_data(as_text=True))
    assert balance(household) == 100


def test_a_revoked_card_is_refused_with_what_to_do(shop, clerk_client, make_household):
    household = make_household(points=100)
    old = services.household_card_token(household)
    services.replace_household_card(household, actor=shop.admin)
    db.session.commit()
    response = clerk_client.post(f"/store/{shop.store.id}/counter", data={"code": old})
    assert response.status_code == 410
    assert 'data-code="card_revoked"' in response.get_data(as_text=True)


def test_a_forged_code_is_refused(shop, clerk_client):
    response = clerk_client.post(f"/store/{shop.store.id}/counter", data={"code": "h.1.1.abc"})
    assert response.status_code == 400
    assert 'data-code="invalid_code"' in response.get_data(as_text=True)


def test_a_card_of_another_community_is_refused(shop, clerk_client, make_household, tree):
    household = make_household(community=tree["community_b"], points=100)
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter",
        data={"code": services.household_card_token(household)},
    )
    assert response.status_code == 403
    assert 'data-code="other_community"' in response.get_data(as_text=True)


def test_a_photo_of_the_card_is_read_on_the_server(app, shop, clerk_client, make_household):
    household = make_household(points=100)
    photo = _png_of(_card_url(app, household))
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter/photo",
        data={"photo": (io.BytesIO(photo), "card.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert household.public_no in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"%PDF-1.4 not a picture", 400, "invalid_upload"),
        (b"", 400, "invalid_upload"),
        (b"\x89PNG" + b"0" * (7 * 1024 * 1024), 413, "upload_too_large"),
    ],
)
def test_a_wrong_or_huge_upload_is_refused(shop, clerk_client, payload, status, code):
    # Encoded by hand: the test client would spool a big body to a file it never closes.
    boundary = "----storetest"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="card.png"'
            f"\r\nContent-Type: image/png\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter/photo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == status
    assert f'data-code="{code}"' in response.get_data(as_text=True)


def test_an_enormous_picture_is_refused_before_decoding(shop, clerk_client):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # a few KB, 81 megapixels
    assert len(out.getvalue()) < 400_000
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter/photo",
        data={"photo": (io.BytesIO(out.getvalue()), "big.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_a_photo_without_a_code_says_so(shop, clerk_client):
    out = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(out, format="JPEG")
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter/photo",
        data={"photo": (io.BytesIO(out.getvalue()), "blank.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "No QR code could be read in this photo." in page
    assert 'data-code="no_code_found"' in page


def test_a_clerk_opening_a_card_url_lands_on_the_basket(shop, clerk_client, make_household):
    household = make_household(points=100)
    token = services.household_card_token(household)
    response = clerk_client.get(f"/q/{token}")
    assert response.status_code == 200
    assert household.public_no in response.get_data(as_text=True)


def test_anyone_else_opening_a_card_url_gets_a_polite_page(shop, client, make_household):
    household = make_household(points=100)
    response = client.get(f"/q/{services.household_card_token(household)}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert household.public_no not in html and "王" not in html


def test_the_card_sheet_shows_numbers_and_codes_but_no_names(shop, clerk_client, make_household):
    households = [make_household(head_name=f"李{i}英") for i in range(3)]
    response = clerk_client.get("/store/cards/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="hh-card"') == 3
    assert html.count("<svg") == 3
    for household in households:
        assert household.public_no in html and household.head_name not in html


def test_reporting_a_card_lost_bumps_its_version(shop, clerk_client, make_household):
    household = make_household()
    response = clerk_client.post(f"/store/cards/{household.id}/replace")
    assert response.status_code == 302
    assert db.session.get(Household, household.id).card_version == 2


def test_a_clerk_of_another_community_sees_none_of_this_store(
    shop, login_as, make_user, tree, make_household
):
    stranger = login_as(make_user("clerk", tree["community_b"]))
    household = make_household()
    for url in (
        f"/store/{shop.store.id}",
        f"/store/{shop.store.id}/counter",
        f"/store/{shop.store.id}/redemptions",
        f"/store/products/{shop.rice.id}/edit",
    ):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/store/cards/{household.id}/replace").status_code == 404


def test_the_stock_page_warns_about_low_stock(shop, clerk_client):
    services.adjust_stock(shop.oil, delta=-3, reason="stocktake", actor=shop.admin)
    db.session.commit()
    html = clerk_client.get(f"/store/{shop.store.id}").get_data(as_text=True)
    assert "Low stock" in html and "食用油 (2" in html


def test_stock_in_by_donation_names_the_donor(shop, clerk_client, tree):
    from points_app.people.models import Organisation, OrganisationKind

    org = Organisation(
        name="红帆志愿服务队", kind=OrganisationKind.volunteer_team, area=tree["community_a"]
    )
    db.session.add(org)
    db.session.commit()
    response = clerk_client.post(
        f"/store/{shop.store.id}/stock-in",
        data={"product_id": shop.soap.id, "kind": "donation", "quantity": "20", "donor_id": org.id},
    )
    assert response.status_code == 302
    assert stock(shop.soap) == 120
    move = db.session.scalars(select(StockMove).order_by(StockMove.id.desc())).first()
    assert move.donor_organisation_id == org.id


def test_a_product_photo_is_resized_and_served(shop, clerk_client):
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "red").save(out, format="PNG")
    response = clerk_client.post(
        f"/store/products/{shop.rice.id}/edit",
        data={
            "name": "大米", "category": "grain_oil", "unit": "袋", "points_price": "60",
            "low_stock_at": "3", "is_active": "y", "photo": (io.BytesIO(out.getvalue()), "r.png"),
        },
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    photo = clerk_client.get(f"/store/products/{shop.rice.id}/photo")
    assert photo.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(photo.data)).size) <= 600


def test_history_filters_by_household_and_status(shop, clerk_client, make_household, redeem):
    first, second = make_household(points=500), make_household(points=500)
    redeem(first, {shop.soap: 1})
    voided = redeem(second, {shop.soap: 2})
    services.void_redemption(voided, actor=shop.clerk, reason="mistake")
    db.session.commit()

    html = clerk_client.get(
        f"/store/{shop.store.id}/redemptions?household={second.public_no}"
    ).get_data(as_text=True)
    assert second.public_no in html and first.public_no not in html
    html = clerk_client.get(f"/store/{shop.store.id}/redemptions?status=completed").get_data(
        as_text=True
    )
    assert first.public_no in html and second.public_no not in html


def test_history_filters_by_clerk(shop, clerk_client, make_household, redeem, make_user, tree):
    other_clerk = make_user(Role.clerk, tree["community_a"], display_name="另一位店员")
    mine, theirs = make_household(points=500), make_household(points=500)
    redeem(mine, {shop.soap: 1})
    redeem(theirs, {shop.soap: 1}, actor=other_clerk)

    url = f"/store/{shop.store.id}/redemptions"
    html = clerk_client.get(url).get_data(as_text=True)
    assert mine.public_no in html and theirs.public_no in html
    assert f'<option value="{other_clerk.id}"' in html  # the filter offers both clerks
    html = clerk_client.get(f"{url}?clerk={other_clerk.id}").get_data(as_text=True)
    assert theirs.public_no in html and mine.public_no not in html
    # Garbage, or a user who never served here, filters nothing out.
    for value in ("x", "99999", str(shop.admin.id)):
        html = clerk_client.get(f"{url}?clerk={value}").get_data(as_text=True)
        assert mine.public_no in html and theirs.public_no in html


def test_the_day_summary_counts_what_was_not_voided(shop, clerk_client, make_household, redeem):
    household = make_household(points=500)
    redeem(household, {shop.soap: 2, shop.rice: 1})
    voided = redeem(household, {shop.soap: 1})
    services.void_redemption(voided, actor=shop.clerk, reason="mistake")
    db.session.commit()
    html = clerk_client.get(f"/store/{shop.store.id}/summary").get_data(as_text=True)
    assert re.search(r'id="sum-redemptions">1<', html)
    assert re.search(r'id="sum-points">70<', html)
    assert re.search(r'id="sum-items">3<', html)


def test_voiding_from_the_receipt_puts_everything_back(shop, clerk_client, make_household, redeem):
    household = make_household(points=200)
    redemption = redeem(household, {shop.rice: 1})
    receipt = clerk_client.get(f"/store/redemptions/{redemption.id}").get_data(as_text=True)
    assert 'id="void-form"' in receipt
    response = clerk_client.post(
        f"/store/redemptions/{redemption.id}/void", data={"reason": "wrong items"}
    )
    assert response.status_code == 302
    assert balance(household) == 200 and stock(shop.rice) == 10
    assert db.session.get(Product, shop.rice.id).stock == 10
