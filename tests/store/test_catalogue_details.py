"""What the store's services keep: defaults, limits, trimmed and cut text, audit entries,
the redemption in hand, the edges of a basket line and of a local month."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store import services
from points_app.store.models import StockMoveKind
from points_app.store.services.baskets import BasketLine, parse_lines
from points_app.store.services.common import month_bounds


def test_a_store_given_no_hours_address_or_limits_has_none(shop, tree):
    store = services.create_store(
        community=tree["community_a"], name="二号超市", actor=shop.admin,
        monthly_points_limit=0, monthly_visits_limit=0, monthly_product_limit=0,
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(store)
    assert (store.opening_hours, store.address) == ("", "")
    # A limit of 0 means "no limit", not "nothing may be taken".
    limits = (store.monthly_points_limit, store.monthly_visits_limit, store.monthly_product_limit)
    assert limits == (None, None, None)

    limited = services.create_store(
        community=tree["community_a"], name="三号超市", actor=shop.admin,
        monthly_points_limit=300, monthly_visits_limit=4, monthly_product_limit=2,
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(limited)
    limits = (
        limited.monthly_points_limit,
        limited.monthly_visits_limit,
        limited.monthly_product_limit,
    )
    assert limits == (300, 4, 2)


def test_store_text_is_trimmed_and_cut_to_what_its_column_holds(shop):
    services.update_store(
        shop.store, actor=shop.admin,
        name=" " + "超" * 150, opening_hours="  " + "时" * 250, address="路" * 250 + " ",
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(shop.store)
    assert (len(shop.store.name), shop.store.name[0]) == (100, "超")
    assert (len(shop.store.opening_hours), shop.store.opening_hours[0]) == (200, "时")
    assert len(shop.store.address) == 200


def test_a_product_unit_is_trimmed_and_cut_at_20_characters(shop):
    services.update_product(shop.rice, actor=shop.admin, unit="  斤 ")
    db.session.commit()
    assert shop.rice.unit == "斤"
    services.update_product(shop.rice, actor=shop.admin, unit="包" * 30)
    db.session.commit()
    db.session.refresh(shop.rice)
    assert shop.rice.unit == "包" * 20


def test_a_product_change_is_audited_on_the_product_with_the_fields_changed(shop):
    services.update_product(shop.rice, actor=shop.admin, points_price=70, unit="斤")
    db.session.commit()
    entry = db.session.execute(
        select(AuditEntry.actor_id, AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail)
        .where(AuditEntry.action == "product_updated")
    ).one()  # fmt: skip
    assert tuple(entry) == (
        shop.admin.id,
        "product",
        shop.rice.id,
        {"fields": ["points_price", "unit"]},
    )


def test_a_basket_line_may_name_any_product_id_from_1_to_the_largest_the_database_holds():
    assert parse_lines([(1, 2), (2**31 - 1, 1)]) == [BasketLine(1, 2), BasketLine(2**31 - 1, 1)]
    for product_id in (0, 2**31):
        with pytest.raises(DomainError) as refused:
            parse_lines([(product_id, 1)])
        assert refused.value.code == "validation_error"


def test_the_local_month_of_a_december_day_runs_to_the_first_of_january():
    # Shanghai is UTC+8: local midnight is 16:00 UTC the day before.
    assert month_bounds(dt.datetime(2026, 12, 15, tzinfo=dt.UTC)) == (
        dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC),
    )
    assert month_bounds(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC))[0] == dt.datetime(
        2026, 11, 30, 16, 0, tzinfo=dt.UTC
    )


def test_stock_bought_in_keeps_the_note_given_with_it(shop):
    move = services.receive_stock(
        shop.rice, quantity=5, kind=StockMoveKind.purchase, actor=shop.admin,
        reason="  街道采购 第3批 ",
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(move)
    assert (move.kind, move.quantity, move.reason, move.donor_organisation_id) == (
        StockMoveKind.purchase, 5, "街道采购 第3批", None,
    )  # fmt: skip


def test_the_redemption_in_hand_holds_its_lines_before_the_commit(shop, make_household):
    household = make_household(points=500)
    done = services.redeem_basket(
        store=shop.store, card=services.household_card_token(household),
        lines=[services.BasketLine(shop.rice.id, 1), services.BasketLine(shop.soap.id, 2)],
        actor=shop.clerk, idempotency_key="in-hand",
    )  # fmt: skip
    # What the view renders (the receipt, the API's reply) is read before the commit.
    assert sorted((line.product_id, line.quantity) for line in done.lines) == sorted(
        [(shop.rice.id, 1), (shop.soap.id, 2)]
    )
    db.session.commit()


def _audited(action: str) -> list[tuple]:
    rows = db.session.execute(
        select(AuditEntry.actor_id, AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )  # fmt: skip
    return [tuple(row) for row in rows]


def test_a_new_store_keeps_its_hours_and_address_trimmed_and_cut_and_is_audited(shop, tree):
    store = services.create_store(
        community=tree["community_a"], name="  二号超市 ", actor=shop.admin,
        opening_hours=" " + "时" * 250, address="路" * 250, void_days=-3,
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(store)
    assert (store.name, store.opening_hours, store.address, store.void_days) == (
        "二号超市", "时" * 200, "路" * 200, 0,
    )  # fmt: skip
    assert _audited("store_created")[-1] == (shop.admin.id, "store", store.id, {})


def test_a_new_product_is_trimmed_and_cut_to_its_columns_and_is_audited_on_its_store(shop):
    product = services.create_product(
        shop.store, name=" " + "面" * 120, category="grain_oil", unit=" " + "袋" * 30,
        points_price=8, actor=shop.admin, low_stock_at=-1,
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(product)
    assert (product.name, product.unit, product.low_stock_at) == ("面" * 100, "袋" * 20, 0)
    assert _audited("product_created")[-1] == (
        shop.admin.id, "product", product.id, {"store_id": shop.store.id},
    )  # fmt: skip


def test_a_note_on_stock_is_cut_at_200_characters(shop):
    move = services.receive_stock(
        shop.rice, quantity=1, kind=StockMoveKind.purchase, actor=shop.admin, reason="批" * 250
    )
    db.session.commit()
    db.session.refresh(move)
    assert move.reason == "批" * 200


def test_the_month_bounds_are_in_utc_whatever_zone_the_server_runs_in(monkeypatch):
    import time

    # SQLite compares the stored UTC text: a bound written in the server's zone would
    # move the month by eight hours on a server set to China's time.
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        bounds = month_bounds(dt.datetime(2026, 3, 15, tzinfo=dt.UTC))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [bound.tzinfo for bound in bounds] == [dt.UTC, dt.UTC]
    assert bounds == (
        dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC),
    )


def test_a_card_of_another_community_is_refused_even_before_its_household_held_points(
    app, shop, tree, make_household
):
    theirs = make_household(community=tree["community_b"])  # no account yet
    with pytest.raises(DomainError) as refused:
        services.redeem_basket(
            store=shop.store, card=services.household_card_token(theirs),
            lines=[services.BasketLine(shop.soap.id, 1)], actor=shop.clerk,
            idempotency_key="elsewhere",
        )  # fmt: skip
    db.session.rollback()
    assert (refused.value.code, refused.value.status) == ("other_community", 403)
