"""Every refusal of the store's catalogue and stock services, with what it says: the
clerk or the store admin reads the message, an outside client the code and status."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store import services
from points_app.store.models import Product, ProductCategory, StockMoveKind
from points_app.store.services import lookup

GRAIN = ProductCategory.grain_oil


def _said(app: Any, fn: Any) -> tuple[str, int, str]:
    with pytest.raises(DomainError) as refused:
        fn()
    db.session.rollback()
    with app.test_request_context():
        return refused.value.code, refused.value.status, str(refused.value.message)


def test_each_refusal_of_the_catalogue_says_what_is_wrong(app, shop, tree):
    admin, store = shop.admin, shop.store
    other = services.create_store(community=tree["community_a"], name="二号超市", actor=admin)
    services.update_product(shop.rice, actor=admin, barcode="6901234567892")
    db.session.commit()

    def product(**overrides: Any) -> Any:
        fields = {
            "name": "面粉",
            "category": GRAIN,
            "unit": "袋",
            "points_price": 5,
            "actor": admin,
        }
        return lambda: services.create_product(store, **{**fields, **overrides})

    said = {
        "store in a grid": _said(app, lambda: services.create_store(
            community=tree["grid_a"], name="网格超市", actor=admin)),
        "store without a name": _said(app, lambda: services.create_store(
            community=tree["community_a"], name="  ", actor=admin)),
        "store of a taken name": _said(app, lambda: services.create_store(
            community=tree["community_a"], name="东谷储爱超市", actor=admin)),
        "store renamed to a taken name": _said(app, lambda: services.update_store(
            other, actor=admin, name="东谷储爱超市")),
        "product without a name": product(name=" "),
        "product without a unit": product(unit=""),
        "product for nothing": product(points_price=0),
        "product of a taken name": product(name="大米"),
        "barcode with a control character": product(barcode="69\x0012"),
        "barcode already on another product": product(barcode="6901234567892"),
        "product renamed to a taken name": lambda: services.update_product(
            shop.oil, actor=admin, name="大米"),
        "product renamed to nothing": lambda: services.update_product(
            shop.oil, actor=admin, name=" "),
        "product repriced to nothing": lambda: services.update_product(
            shop.oil, actor=admin, points_price=0),
    }  # fmt: skip
    said = {what: v if isinstance(v, tuple) else _said(app, v) for what, v in said.items()}
    assert said == {
        "store in a grid": ("not_a_community", 422, "A store belongs to a community."),
        "store without a name": ("validation_error", 422, "Give the store a name."),
        "store of a taken name": (
            "duplicate", 409, "This community already has a store of that name."),
        "store renamed to a taken name": (
            "duplicate", 409, "This community already has a store of that name."),
        "product without a name": ("validation_error", 422, "A product needs a name and a unit."),
        "product without a unit": ("validation_error", 422, "A product needs a name and a unit."),
        "product for nothing": ("validation_error", 422, "The price must be at least 1 point."),
        "product of a taken name": (
            "duplicate", 409, "This store already has a product called 大米."),
        "barcode with a control character": (
            "validation_error", 422, "A barcode is letters and digits only."),
        "barcode already on another product": ("duplicate_barcode", 409,
            "Barcode 6901234567892 is already on 大米 at this store. Check the packaging, "
            "or remove the barcode from 大米 first."),
        "product renamed to a taken name": (
            "duplicate", 409, "This store already has a product called 大米."),
        "product renamed to nothing": (
            "validation_error", 422, "A product needs a name and a unit."),
        "product repriced to nothing": (
            "validation_error", 422, "The price must be at least 1 point."),
    }  # fmt: skip
    # Nothing of the refused was kept.
    names = db.session.scalars(select(Product.name).where(Product.store_id == store.id))
    assert sorted(names) == sorted(["大米", "食用油", "肥皂"])


def test_each_refusal_of_stock_says_what_is_wrong(app, shop, tree):
    admin, rice = shop.admin, shop.rice
    said = {
        "in by adjustment": _said(app, lambda: services.receive_stock(
            rice, quantity=2, kind=StockMoveKind.adjustment, actor=admin)),
        "a donation without its donor": _said(app, lambda: services.receive_stock(
            rice, quantity=2, kind=StockMoveKind.donation, actor=admin)),
        "half a bag": _said(app, lambda: services.receive_stock(
            rice, quantity=1.5, kind=StockMoveKind.purchase, actor=admin)),
        "an adjustment without a reason": _said(app, lambda: services.adjust_stock(
            rice, delta=-1, reason="  ", actor=admin)),
        "sent to its own store": _said(app, lambda: services.transfer_stock(
            rice, to_store=shop.store, quantity=1, actor=admin)),
    }  # fmt: skip
    assert said == {
        "in by adjustment": ("validation_error", 422, "Stock comes in by donation or purchase."),
        "a donation without its donor": (
            "validation_error", 422, "Name the organisation that donated it."),
        "half a bag": ("validation_error", 422, "The quantity must be a whole number."),
        "an adjustment without a reason": (
            "reason_required", 422, "Say why the stock is adjusted."),
        "sent to its own store": ("validation_error", 422, "Choose another store to send it to."),
    }  # fmt: skip
    db.session.refresh(rice)
    assert rice.stock == 10


def test_each_refusal_at_the_counter_says_what_to_do(
    app, shop, tree, make_household, redeem, make_user
):
    household = make_household(points=500, public_no="DG-H020")
    done = redeem(household, {shop.soap: 1}, key="basket-1")
    services.void_redemption(done, actor=shop.clerk, reason="扫错了")
    db.session.commit()
    organiser = make_user("organiser", tree["community_a"])
    clerk_b = make_user("clerk", tree["community_b"])
    theirs = make_household(community=tree["community_b"], public_no="B-H021", phone="13700001234")
    community = shop.store.community
    said = {
        "no key": _said(app, lambda: services.redeem_basket(
            store=shop.store, card=services.household_card_token(household),
            lines=[services.BasketLine(shop.soap.id, 1)], actor=shop.clerk, idempotency_key="")),
        "a key too long": _said(app, lambda: redeem(household, {shop.soap: 1}, key="k" * 256)),
        "the key again, another basket": _said(
            app, lambda: redeem(household, {shop.soap: 2}, key="basket-1")),
        "a quantity too large": _said(app, lambda: services.parse_lines([(shop.soap.id, 1000)])),
        "an empty basket": _said(app, lambda: redeem(household, {})),
        "a void without a reason": _said(
            app, lambda: services.void_redemption(done, actor=shop.clerk, reason=" ")),
        "a second void": _said(
            app, lambda: services.void_redemption(done, actor=shop.clerk, reason="again")),
        "not a clerk here: redeem": _said(
            app, lambda: redeem(household, {shop.soap: 1}, actor=organiser)),
        "a clerk of another community: redeem": _said(
            app, lambda: redeem(household, {shop.soap: 1}, actor=clerk_b)),
        "not a clerk here: look up": _said(app, lambda: lookup.find_household_by_number(
            "DG-H020", community=community, actor=organiser)),
        "not a clerk here: void": _said(
            app, lambda: services.void_redemption(done, actor=organiser, reason="x")),
        "an unknown number": _said(app, lambda: lookup.find_household_by_number(
            " " + "X" * 45 + " ", community=community, actor=shop.clerk)),
        "a household of elsewhere": _said(app, lambda: lookup.check_household_without_card(
            theirs, last_four="1234", community=community, actor=shop.clerk, how="number")),
    }  # fmt: skip
    unknown = said.pop("an unknown number")
    assert unknown[:2] == ("unknown_number", 404)
    assert unknown[2] == (
        "“" + "X" * 40 + "” is neither a household card of ours nor the number of a household "
        "of this community. Scan the card again, or type the number printed under its QR code "
        "(for example XS-DD-DG-H001); without a number, find the household by the last four "
        "digits of its phone."
    )
    assert said == {
        "no key": (
            "validation_error", 422, "The basket has no valid idempotency key. Reload the page."),
        "a key too long": (
            "validation_error", 422, "The basket has no valid idempotency key. Reload the page."),
        "the key again, another basket": (
            "idempotency_mismatch", 422,
            "This basket was already confirmed with different contents. Start a new basket."),
        "a quantity too large": (
            "validation_error", 422, "Each quantity must be a whole number from 0 to 999."),
        "an empty basket": ("empty_basket", 422, "The basket is empty: add at least one product."),
        "a void without a reason": ("reason_required", 422, "Say why the redemption is voided."),
        "a second void": ("already_voided", 409, "This redemption was already voided."),
        "not a clerk here: redeem": ("forbidden", 403, "You may not redeem at this store."),
        "a clerk of another community: redeem": (
            "forbidden", 403, "You may not redeem at this store."),
        "not a clerk here: look up": (
            "forbidden", 403, "You may not serve households at this store."),
        "not a clerk here: void": (
            "forbidden", 403, "You may not void redemptions at this store."),
        "a household of elsewhere": (
            "other_community", 403,
            "This household cannot be served at this store: it belongs to another community "
            "or is no longer registered. Send the person to the community office."),
    }  # fmt: skip


def test_the_same_key_again_gets_the_first_redemption_even_when_the_points_are_spent(
    shop, make_household, redeem
):
    household = make_household(points=5)
    first = redeem(household, {shop.soap: 1}, key="tap")
    # The tap arrives twice: the second must be answered from the first, not refused
    # for the points the first one spent.
    assert redeem(household, {shop.soap: 1}, key="tap").id == first.id


def test_points_still_on_notice_cannot_be_spent_at_the_counter(app, shop, make_household, redeem):
    import datetime as dt

    from points_app.core.db import utcnow
    from points_app.ledger.models import Transfer
    from points_app.ledger.pending import hold_credit

    household = make_household(points=40)
    award = db.session.scalars(select(Transfer).order_by(Transfer.id.desc())).first()
    hold_credit(award, utcnow() + dt.timedelta(days=3))
    db.session.commit()
    refused = _said(app, lambda: redeem(household, {shop.soap: 1}))
    assert refused[:2] == ("insufficient_points", 409)
    assert refused[2].startswith("Not enough spendable points: 5 more needed. 40 points become")


def test_a_product_keeps_its_own_barcode_when_other_fields_change(shop):
    services.update_product(shop.rice, actor=shop.admin, barcode="6901234567890")
    db.session.commit()
    services.update_product(shop.rice, actor=shop.admin, barcode="6901234567890", points_price=55)
    db.session.commit()
    assert (shop.rice.barcode, shop.rice.points_price) == ("6901234567890", 55)


def test_wrong_digits_are_answered_with_how_to_type_them(app, shop, make_household):
    household = make_household(public_no="DG-H030", phone="13812345678")
    said = _said(app, lambda: lookup.check_household_without_card(
        household, last_four="12a4", community=shop.store.community, actor=shop.clerk,
        how="number"))  # fmt: skip
    assert said == (
        "validation_error", 422,
        "Type the last four digits of the household's phone, for example 1234.",
    )  # fmt: skip


def test_a_redemption_at_the_first_moment_of_the_local_month_counts_for_that_month(
    shop, make_household, redeem
):
    import datetime as dt

    services.update_store(shop.store, actor=shop.admin, monthly_visits_limit=1)
    db.session.commit()
    household = make_household(points=1000)
    # 2026-02-28 16:00 UTC is midnight on 1 March in Shanghai.
    redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC))
    later = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    with pytest.raises(DomainError) as refused:
        redeem(household, {shop.soap: 1}, now=later)
    assert refused.value.code == "limit_reached"


def test_the_day_summary_keeps_a_product_sold_by_two_units_apart(shop, make_household, redeem):
    import datetime as dt

    household = make_household(points=1000)
    morning = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
    redeem(household, {shop.rice: 1}, now=morning)
    services.update_product(shop.rice, actor=shop.admin, unit="斤")
    db.session.commit()
    redeem(household, {shop.rice: 2}, now=morning + dt.timedelta(hours=2))
    summary = services.day_summary(shop.store, dt.date(2026, 3, 10))
    assert sorted(summary.by_product) == [("大米", "斤", 2, 120), ("大米", "袋", 1, 60)]
