"""Setting a store up through its pages: stores, products, stock transfers, who may."""

from __future__ import annotations

from sqlalchemy import select

from points_app.extensions import db
from points_app.store.models import Product, StockMove, StockMoveKind, Store
from tests.store.conftest import stock


def test_a_committee_member_opens_a_store_with_limits(login_as, make_user, tree):
    member = login_as(make_user("committee", tree["community_a"]))
    response = member.post(
        "/store/new",
        data={
            "community_id": tree["community_a"].id, "name": "储爱超市",
            "opening_hours": "周二 9-11",
            "monthly_points_limit": "300", "monthly_visits_limit": "", "void_days": "0",
            "is_active": "y",
        },
    )  # fmt: skip
    assert response.status_code == 302
    store = db.session.scalars(select(Store)).one()
    assert (store.name, store.monthly_points_limit, store.monthly_visits_limit) == (
        "储爱超市", 300, None
    )  # fmt: skip


def test_a_store_cannot_be_opened_in_another_community(login_as, make_user, tree):
    member = login_as(make_user("committee", tree["community_a"]))
    response = member.post(
        "/store/new",
        data={"community_id": tree["community_b"].id, "name": "x", "void_days": "0"},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert db.session.scalars(select(Store)).first() is None


def test_an_organiser_may_not_run_a_store(shop, login_as, make_user, tree):
    organiser = login_as(make_user("organiser", tree["community_a"]))
    assert organiser.get("/store/").status_code == 403
    assert organiser.get(f"/store/{shop.store.id}").status_code == 404
    assert organiser.get("/store/cards").status_code == 403


def test_a_new_product_leads_to_its_stock_in(shop, login_as):
    clerk = login_as(shop.clerk)
    response = clerk.post(
        f"/store/{shop.store.id}/products/new",
        data={
            "name": "面粉",
            "category": "food",
            "unit": "袋",
            "points_price": "20",
            "low_stock_at": "2",
        },
    )
    product = db.session.scalars(select(Product).where(Product.name == "面粉")).one()
    assert response.status_code == 302
    assert f"product={product.id}" in response.headers["Location"]
    assert product.stock == 0


def test_a_duplicate_product_name_is_refused(shop, login_as):
    clerk = login_as(shop.clerk)
    response = clerk.post(
        f"/store/{shop.store.id}/products/new",
        data={
            "name": "大米",
            "category": "food",
            "unit": "袋",
            "points_price": "20",
            "low_stock_at": "2",
        },
    )
    assert response.status_code == 200
    assert "already has a product" in response.get_data(as_text=True)


def test_stock_goes_to_another_store_of_the_clerk(shop, login_as, make_user, tree):
    from points_app.store import services

    other = services.create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    db.session.commit()
    clerk = login_as(shop.clerk)
    response = clerk.post(
        f"/store/{shop.store.id}/transfer",
        data={"product_id": shop.rice.id, "to_store_id": other.id, "quantity": "3"},
    )
    assert response.status_code == 302
    assert stock(shop.rice) == 7
    moved = db.session.scalars(
        select(StockMove).where(StockMove.kind == StockMoveKind.transfer_in)
    ).one()
    assert moved.quantity == 3 and moved.other_store_id == shop.store.id


def test_an_adjustment_below_zero_is_refused_on_the_page(shop, login_as):
    clerk = login_as(shop.clerk)
    response = clerk.post(
        f"/store/{shop.store.id}/adjust",
        data={"product_id": shop.oil.id, "delta": "-9", "reason": "stocktake"},
    )
    assert response.status_code == 200
    assert "食用油" in response.get_data(as_text=True)
    assert stock(shop.oil) == 5


def test_a_product_of_another_store_cannot_be_stocked_here(shop, login_as, tree):
    from points_app.store import services

    other = services.create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    foreign = services.create_product(
        other, name="面粉", category="food", unit="袋", points_price=5, actor=shop.admin
    )
    db.session.commit()
    clerk = login_as(shop.clerk)
    response = clerk.post(
        f"/store/{shop.store.id}/stock-in",
        data={"product_id": foreign.id, "kind": "purchase", "quantity": "3"},
    )
    assert response.status_code == 200  # not one of this store's choices
    assert stock(foreign) == 0


def test_renaming_a_product_to_a_name_the_store_has_is_refused_and_the_page_still_answers(
    shop, client, login_as
):
    # Found by tests/core/test_fuzz_routes.py: the clash used to break the session (500).
    login_as(shop.admin)
    form = {
        "name": "大米",
        "category": "grain_oil",
        "unit": "袋",
        "points_price": "5",
        "low_stock_at": "3",
    }
    response = client.post(f"/store/products/{shop.soap.id}/edit", data=form)
    assert response.status_code == 200
    assert "already has a product called 大米" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Product, shop.soap.id).name == "肥皂"


def test_a_product_photo_is_stored_then_replaced_and_each_time_audited_on_the_product(shop):
    from points_app.core.audit import AuditEntry
    from points_app.store import services
    from points_app.store.models import ProductPhoto

    services.set_product_photo(shop.rice, b"first", actor=shop.admin)
    services.set_product_photo(shop.rice, b"second", actor=shop.admin)
    db.session.commit()
    assert shop.rice.has_photo
    assert db.session.get(ProductPhoto, shop.rice.id).data == b"second"
    audited = db.session.execute(
        select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.actor_id).where(
            AuditEntry.action == "product_photo_set"
        )
    ).all()
    assert audited == [("product", shop.rice.id, shop.admin.id)] * 2
