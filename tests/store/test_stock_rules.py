"""Stock rules stated one by one: a transfer needs another store, quantities are bounded,
stock never goes below zero and every refused step leaves stock and moves untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store.models import Product, StockMove, StockMoveKind
from points_app.store.services import (
    MAX_STOCK_QUANTITY,
    adjust_stock,
    create_store,
    receive_stock,
    transfer_stock,
)
from tests.store.conftest import stock


def _moves(product: Product | None = None) -> list[tuple[str, int, int]]:
    query = select(StockMove.kind, StockMove.quantity, StockMove.stock_after).order_by(StockMove.id)
    if product is not None:
        query = query.where(StockMove.product_id == product.id)
    return [(str(k), q, a) for k, q, a in db.session.execute(query).all()]


def test_stock_cannot_be_transferred_to_the_products_own_store(shop):
    before = _moves()
    with pytest.raises(DomainError) as refused:
        transfer_stock(shop.rice, to_store=shop.store, quantity=4, actor=shop.admin)
    assert refused.value.code == "validation_error"
    assert refused.value.status == 422
    db.session.rollback()
    assert stock(shop.rice) == 10
    assert _moves() == before
    assert db.session.scalar(
        select(func.count(StockMove.id)).where(
            StockMove.kind.in_([StockMoveKind.transfer_in, StockMoveKind.transfer_out])
        )
    ) == 0  # fmt: skip


def test_a_transfer_takes_out_here_and_puts_in_there_with_running_levels(shop, tree):
    other = create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    out, into = transfer_stock(shop.rice, to_store=other, quantity=4, actor=shop.admin, reason="x")
    db.session.commit()
    assert (out.kind, out.quantity, out.stock_after, out.other_store_id) == (
        StockMoveKind.transfer_out, -4, 6, other.id,
    )  # fmt: skip
    target = db.session.get(Product, into.product_id)
    assert target is not None and target.store_id == other.id and target.name == shop.rice.name
    assert (target.points_price, target.unit, target.category) == (
        shop.rice.points_price, shop.rice.unit, shop.rice.category,
    )  # fmt: skip
    assert (into.kind, into.quantity, into.stock_after, into.other_store_id) == (
        StockMoveKind.transfer_in, 4, 4, shop.store.id,
    )  # fmt: skip
    assert stock(shop.rice) == 6 and stock(target) == 4
    assert (out.actor_id, into.actor_id) == (shop.admin.id, shop.admin.id)
    # The product opened at the other store is audited as the sender's doing.
    created = db.session.execute(
        select(AuditEntry.actor_id, AuditEntry.object_id).where(
            AuditEntry.action == "product_created", AuditEntry.object_id == target.id
        )
    ).one()
    assert tuple(created) == (shop.admin.id, target.id)
    # A second transfer finds the product it made, rather than making another.
    _out, again = transfer_stock(shop.rice, to_store=other, quantity=1, actor=shop.admin)
    db.session.commit()
    assert again.product_id == target.id and stock(target) == 5


def test_a_transfer_of_more_than_the_stock_changes_nothing(shop, tree):
    other = create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    db.session.commit()
    before = _moves(shop.rice)
    with pytest.raises(DomainError) as refused:
        transfer_stock(shop.rice, to_store=other, quantity=11, actor=shop.admin)
    assert refused.value.code == "out_of_stock" and refused.value.details["left"] == 10
    db.session.rollback()
    assert stock(shop.rice) == 10 and _moves(shop.rice) == before


def test_the_whole_stock_may_be_transferred_leaving_zero(shop, tree):
    other = create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    out, _into = transfer_stock(shop.rice, to_store=other, quantity=10, actor=shop.admin)
    db.session.commit()
    assert out.stock_after == 0 and stock(shop.rice) == 0


@pytest.mark.parametrize("quantity", [0, -1, MAX_STOCK_QUANTITY + 1, True, 2.0, "3"])
def test_stock_comes_in_only_in_whole_quantities_within_bounds_and_says_which(shop, app, quantity):
    with pytest.raises(DomainError) as refused:
        receive_stock(shop.rice, quantity=quantity, kind=StockMoveKind.purchase, actor=shop.admin)
    assert (refused.value.code, refused.value.status) == ("validation_error", 422)
    with app.test_request_context():
        assert str(refused.value.message) == (
            "The quantity must be between 1 and 100000."
            if isinstance(quantity, int) and not isinstance(quantity, bool)
            else "The quantity must be a whole number."
        )
    db.session.rollback()
    assert stock(shop.rice) == 10


def test_the_largest_allowed_quantity_comes_in(shop):
    receive_stock(
        shop.soap, quantity=MAX_STOCK_QUANTITY, kind=StockMoveKind.purchase, actor=shop.admin
    )
    db.session.commit()
    assert stock(shop.soap) == 100 + MAX_STOCK_QUANTITY


def test_an_adjustment_may_take_stock_down_to_exactly_zero_but_not_below(shop):
    with pytest.raises(DomainError) as refused:
        adjust_stock(shop.oil, delta=-6, reason="stocktake", actor=shop.admin)
    assert refused.value.code == "out_of_stock"
    db.session.rollback()
    assert stock(shop.oil) == 5
    move = adjust_stock(shop.oil, delta=-5, reason="stocktake", actor=shop.admin)
    db.session.commit()
    assert move.stock_after == 0 and stock(shop.oil) == 0
    assert move.actor_id == shop.admin.id


def test_an_adjustment_needs_a_reason(shop):
    with pytest.raises(DomainError) as refused:
        adjust_stock(shop.oil, delta=-1, reason="   ", actor=shop.admin)
    assert refused.value.code == "reason_required"
    db.session.rollback()
    assert stock(shop.oil) == 5


def test_a_donation_names_its_donor_and_a_purchase_never_does(shop, tree):
    from points_app.people.models import Organisation, OrganisationKind

    with pytest.raises(DomainError) as refused:
        receive_stock(shop.rice, quantity=1, kind=StockMoveKind.donation, actor=shop.admin)
    assert refused.value.code == "validation_error"
    db.session.rollback()
    donor = Organisation(
        name="爱心企业", kind=OrganisationKind.volunteer_team, area=tree["community_a"]
    )
    db.session.add(donor)
    db.session.flush()
    gift = receive_stock(
        shop.rice, quantity=2, kind=StockMoveKind.donation, actor=shop.admin, donor=donor
    )
    bought = receive_stock(
        shop.rice, quantity=1, kind=StockMoveKind.purchase, actor=shop.admin, donor=donor
    )
    db.session.commit()
    assert gift.donor_organisation_id == donor.id
    assert bought.donor_organisation_id is None
    with pytest.raises(DomainError):
        receive_stock(shop.rice, quantity=1, kind=StockMoveKind.adjustment, actor=shop.admin)


def test_a_transfer_records_who_when_and_why_on_both_moves(shop, tree):
    import datetime as dt

    from points_app.store.services import create_product

    other = create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    # The other store already sells something else: the rice must find rice, not that.
    create_product(
        other, name="面粉", category=shop.rice.category, unit="袋", points_price=9,
        actor=shop.admin,
    )  # fmt: skip
    shop.rice.low_stock_at = 3
    moment = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)
    out, into = transfer_stock(
        shop.rice, to_store=other, quantity=2, actor=shop.clerk, now=moment,
        reason="  for the welfare day " + "x" * 300,
    )  # fmt: skip
    db.session.commit()
    target = db.session.get(Product, into.product_id)
    assert target is not None and target.name == "大米" and target.low_stock_at == 3
    reason = ("for the welfare day " + "x" * 300)[:200]
    for move in (out, into):
        assert move.actor_id == shop.clerk.id
        at = move.created_at
        assert (at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)) == moment
        assert move.reason == reason


def test_a_transfer_without_a_reason_records_an_empty_one(shop, tree):
    other = create_store(community=tree["community_a"], name="二号店", actor=shop.admin)
    out, into = transfer_stock(shop.rice, to_store=other, quantity=1, actor=shop.admin)
    db.session.commit()
    assert out.reason == "" and into.reason == ""


def test_the_own_store_refusal_says_to_choose_another(shop, app):
    with pytest.raises(DomainError) as refused:
        transfer_stock(shop.rice, to_store=shop.store, quantity=1, actor=shop.admin)
    with app.test_request_context():
        assert str(refused.value.message) == "Choose another store to send it to."
