"""Redemptions: points and stock move together, once, within limits — or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import AccountKind, Transfer
from points_app.ledger.verify import run_checks
from points_app.store import services
from points_app.store.models import ProductCategory, Redemption, StockMove, StockMoveKind
from tests.store.conftest import balance, stock

pytestmark = pytest.mark.usefixtures("in_request")


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _refused(fn, code: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        fn()
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_redeeming_moves_points_to_the_store_sink_and_stock_out(shop, make_household, redeem):
    household = make_household(points=200)
    redemption = redeem(household, {shop.rice: 2, shop.soap: 3})

    assert redemption.total_points == 135
    assert redemption.balance_after == 65
    assert balance(household) == 65
    assert stock(shop.rice) == 8 and stock(shop.soap) == 97
    sink = ledger.system_account(shop.store.community, AccountKind.store_sink)
    assert ledger.balance_of(sink) == 135
    assert [(line.product_name, line.quantity, line.line_points) for line in redemption.lines] == [
        ("大米", 2, 120), ("肥皂", 3, 15)
    ]  # fmt: skip
    assert all(check.is_clean for check in run_checks())


def test_partial_use_of_a_balance_leaves_the_rest(shop, make_household, redeem):
    household = make_household(points=100)
    redeem(household, {shop.soap: 1})
    assert balance(household) == 95


def test_the_same_key_twice_makes_one_redemption(shop, make_household, redeem):
    household = make_household(points=200)
    first = redeem(household, {shop.rice: 1}, key="tap")
    second = redeem(household, {shop.rice: 1}, key="tap")

    assert second.id == first.id
    assert balance(household) == 140
    assert stock(shop.rice) == 9
    assert _count(Redemption) == 1


def test_the_same_key_with_another_basket_is_refused(shop, make_household, redeem):
    household = make_household(points=200)
    redeem(household, {shop.rice: 1}, key="tap")
    _refused(lambda: redeem(household, {shop.rice: 2}, key="tap"), "idempotency_mismatch")
    assert balance(household) == 140


def test_a_replay_answers_even_after_the_card_is_replaced(shop, make_household, redeem):
    household = make_household(points=200)
    token = services.household_card_token(household)
    first = services.redeem_basket(
        store=shop.store, card=token, lines=[services.BasketLine(shop.soap.id, 1)],
        actor=shop.clerk, idempotency_key="k",
    )  # fmt: skip
    db.session.commit()
    services.replace_household_card(household, actor=shop.admin)
    db.session.commit()
    again = services.redeem_basket(
        store=shop.store, card=token, lines=[services.BasketLine(shop.soap.id, 1)],
        actor=shop.clerk, idempotency_key="k",
    )  # fmt: skip
    assert again.id == first.id


def test_not_enough_points_says_how_many_are_missing_and_records_nothing(
    shop, make_household, redeem
):
    household = make_household(points=100)
    error = _refused(lambda: redeem(household, {shop.rice: 2}), "insufficient_points")

    assert error.details == {"missing": 20, "balance": 100, "total": 120}
    assert "20" in str(error.message)
    assert balance(household) == 100
    assert stock(shop.rice) == 10
    assert _count(Redemption) == 0 and _count(Transfer) == 1


def test_a_closed_store_or_a_short_balance_refuses_and_says_what_to_do(
    shop, make_household, redeem
):
    household = make_household(points=100)
    short = _refused(lambda: redeem(household, {shop.rice: 2}), "insufficient_points")
    shop.store.is_active = False
    db.session.commit()
    closed = _refused(lambda: redeem(household, {shop.soap: 1}), "store_closed")
    assert (short.status, str(short.message)) == (
        409,
        "Not enough points: the basket costs 120, the household has 100; remove items worth 20.",
    )
    assert (closed.status, str(closed.message)) == (
        409,
        "This store is closed: nothing was redeemed. Ask the store's manager to open it again "
        "under Love supermarket → the store → Edit.",
    )


def test_each_stock_move_of_a_redemption_names_the_clerk_the_receipt_and_the_stock_left(
    shop, make_household, redeem
):
    household = make_household(points=500)
    redemption = redeem(household, {shop.rice: 2, shop.soap: 3})
    moves = db.session.execute(
        select(
            StockMove.product_id, StockMove.quantity, StockMove.stock_after,
            StockMove.actor_id, StockMove.redemption_id,
        )
        .where(StockMove.kind == StockMoveKind.redemption)
        .order_by(StockMove.product_id)
    ).all()  # fmt: skip
    assert [tuple(m) for m in moves] == [
        (shop.rice.id, -2, 8, shop.clerk.id, redemption.id),
        (shop.soap.id, -3, 97, shop.clerk.id, redemption.id),
    ]


def test_out_of_stock_names_the_product_and_how_many_are_left(shop, make_household, redeem):
    household = make_household(points=1000)
    error = _refused(lambda: redeem(household, {shop.soap: 1, shop.oil: 6}), "out_of_stock")

    assert "食用油" in str(error.message) and "5" in str(error.message)
    assert error.details["left"] == 5
    assert balance(household) == 1000
    assert stock(shop.soap) == 100 and stock(shop.oil) == 5
    assert _count(Redemption) == 0


def test_the_last_items_can_be_taken_and_then_none(shop, make_household, redeem):
    household = make_household(points=1000)
    redeem(household, {shop.oil: 5})
    assert stock(shop.oil) == 0
    _refused(lambda: redeem(household, {shop.oil: 1}), "out_of_stock")


def test_monthly_points_limit_names_the_limit(shop, make_household, redeem):
    services.update_store(shop.store, actor=shop.admin, monthly_points_limit=100)
    db.session.commit()
    household = make_household(points=1000)
    redeem(household, {shop.rice: 1})
    error = _refused(lambda: redeem(household, {shop.rice: 1}), "limit_reached")
    assert error.details["limit"] == "points_per_month"
    assert "100" in str(error.message) and "40" in str(error.message)
    redeem(household, {shop.soap: 8})  # 40 points still fit


def test_monthly_visit_limit_counts_redemptions(shop, make_household, redeem):
    services.update_store(shop.store, actor=shop.admin, monthly_visits_limit=2)
    db.session.commit()
    household = make_household(points=1000)
    redeem(household, {shop.soap: 1})
    redeem(household, {shop.soap: 1})
    error = _refused(lambda: redeem(household, {shop.soap: 1}), "limit_reached")
    assert error.details == {"limit": "visits_per_month", "left": 0}


def test_monthly_quantity_per_product_names_the_product(shop, make_household, redeem):
    services.update_store(shop.store, actor=shop.admin, monthly_product_limit=3)
    db.session.commit()
    household = make_household(points=1000)
    redeem(household, {shop.soap: 2})
    error = _refused(lambda: redeem(household, {shop.soap: 2}), "limit_reached")
    assert "肥皂" in str(error.message)
    assert error.details == {
        "limit": "quantity_per_product_per_month",
        "product_id": shop.soap.id,
        "left": 1,
    }
    redeem(household, {shop.soap: 1, shop.rice: 3})


def test_limits_restart_with_the_local_month(shop, make_household, redeem):
    services.update_store(shop.store, actor=shop.admin, monthly_visits_limit=1)
    db.session.commit()
    household = make_household(points=1000)
    # 2026-01-31 15:59 UTC is 23:59 on 31 January in Shanghai; 16:00 UTC is 1 February.
    redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 1, 31, 15, 59, tzinfo=dt.UTC))
    _refused(
        lambda: redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 1, 20, tzinfo=dt.UTC)),
        "limit_reached",
    )
    redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 1, 31, 16, 0, tzinfo=dt.UTC))


def test_each_monthly_limit_refusal_says_the_limit_and_what_the_household_can_still_do(
    shop, make_household, redeem
):
    household = make_household(points=1000)
    redeem(household, {shop.soap: 2})
    said = {}
    for limit, limits, basket in (
        ("visits", {"monthly_visits_limit": 1}, {shop.soap: 1}),
        ("points", {"monthly_visits_limit": 0, "monthly_points_limit": 50}, {shop.rice: 1}),
        ("product", {"monthly_points_limit": 0, "monthly_product_limit": 3}, {shop.soap: 2}),
    ):
        services.update_store(shop.store, actor=shop.admin, **limits)
        db.session.commit()
        error = _refused(lambda: redeem(household, basket), "limit_reached")  # noqa: B023
        said[limit] = str(error.message)
    assert said == {
        "visits": "Monthly visit limit reached: 1 visits a month at this store. Nothing was "
        "redeemed; the household can come again next month.",
        "points": "Monthly points limit: 50 points a month at this store; 40 left this month, "
        "this basket needs 60. Take goods out of the basket until the total is at most 40.",
        "product": "肥皂: at most 3 袋 a month per household; 1 left this month.",
    }


def test_a_visit_in_the_first_hours_of_the_local_month_counts_for_that_month_not_the_last(
    shop, make_household, redeem
):
    services.update_store(shop.store, actor=shop.admin, monthly_visits_limit=1)
    db.session.commit()
    household = make_household(points=1000)
    # 2026-01-31 16:30 UTC is 00:30 on 1 February in Shanghai: February's visit.
    redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 1, 31, 16, 30, tzinfo=dt.UTC))
    redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 1, 25, tzinfo=dt.UTC))
    _refused(
        lambda: redeem(household, {shop.soap: 1}, now=dt.datetime(2026, 2, 10, tzinfo=dt.UTC)),
        "limit_reached",
    )
    # December's local month ends when January begins in Shanghai.
    assert services.month_bounds(dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)) == (
        dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 31, 16, 0, tzinfo=dt.UTC),
    )


def test_the_day_summary_counts_the_local_days_redemptions_and_the_voided_apart(
    shop, make_household, redeem
):
    household, other = make_household(points=1000), make_household(points=1000)
    # 10 March in Shanghai runs from 2026-03-09 16:00 UTC to 2026-03-10 16:00 UTC.
    redeem(
        household, {shop.soap: 2, shop.rice: 1}, now=dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.UTC)
    )
    redeem(other, {shop.oil: 1, shop.soap: 1}, now=dt.datetime(2026, 3, 10, 15, 59, tzinfo=dt.UTC))
    voided = redeem(other, {shop.soap: 1}, now=dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC))
    redeem(household, {shop.oil: 1}, now=dt.datetime(2026, 3, 9, 15, 59, tzinfo=dt.UTC))
    redeem(household, {shop.oil: 1}, now=dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC))
    services.void_redemption(voided, actor=shop.clerk, reason="扫错了")
    db.session.commit()
    assert services.day_summary(shop.store, dt.date(2026, 3, 10)) == services.DaySummary(
        day=dt.date(2026, 3, 10), redemptions=2, points=125, items=5, households=2, voided=1,
        # Most taken first; a tie in the order of the names.
        by_product=[("肥皂", "袋", 3, 15), ("大米", "袋", 1, 60), ("食用油", "袋", 1, 50)],
    )  # fmt: skip
    assert services.day_summary(shop.store, dt.date(2026, 3, 12)) == services.DaySummary(
        day=dt.date(2026, 3, 12), redemptions=0, points=0, items=0, households=0, voided=0,
        by_product=[],
    )  # fmt: skip


def test_a_voided_redemption_no_longer_counts_toward_the_limits(shop, make_household, redeem):
    services.update_store(shop.store, actor=shop.admin, monthly_visits_limit=1)
    db.session.commit()
    household = make_household(points=1000)
    first = redeem(household, {shop.soap: 1})
    services.void_redemption(first, actor=shop.clerk, reason="wrong household")
    db.session.commit()
    redeem(household, {shop.soap: 1})


@pytest.mark.parametrize(
    "basket",
    [[("1", "-1")], [("1", "1000")], [("x", "1")], [("1", "1.5")], [("0", "1")]],
)
def test_bad_basket_lines_are_refused(basket):
    _refused(lambda: services.parse_lines(basket), "validation_error")


def test_basket_lines_add_up_repeats_and_drop_zeros():
    assert services.parse_lines([("3", "1"), ("2", "0"), ("3", "2")]) == [services.BasketLine(3, 3)]


def test_an_empty_basket_is_refused(shop, make_household, redeem):
    household = make_household(points=100)
    assert _refused(lambda: redeem(household, {}), "empty_basket").status == 422


def test_a_product_of_another_store_is_refused(shop, make_household, redeem, tree):
    other = services.create_store(community=tree["community_a"], name="第二超市", actor=shop.admin)
    product = services.create_product(
        other, name="面粉", category="food", unit="袋", points_price=5, actor=shop.admin
    )
    db.session.commit()
    household = make_household(points=100)
    _refused(lambda: redeem(household, {product: 1}), "validation_error")


def test_a_product_taken_off_sale_is_refused_by_name(shop, make_household, redeem):
    services.update_product(shop.soap, actor=shop.admin, is_active=False)
    db.session.commit()
    household = make_household(points=100)
    error = _refused(lambda: redeem(household, {shop.soap: 1}), "product_unavailable")
    assert str(error.message) == "肥皂 is no longer on sale. Remove it from the basket."
    assert (error.status, error.details) == (409, {"product_id": shop.soap.id})


def test_a_product_of_another_store_in_the_basket_is_refused_with_422(
    shop, tree, make_household, redeem
):
    other = services.create_store(community=tree["community_b"], name="B超市", actor=shop.admin)
    theirs = services.create_product(
        other, name="面粉", category=ProductCategory.grain_oil, unit="袋", points_price=5,
        actor=shop.admin,
    )  # fmt: skip
    db.session.commit()
    error = _refused(lambda: redeem(make_household(points=100), {theirs: 1}), "validation_error")
    assert (error.status, str(error.message)) == (
        422, "A product in the basket is not sold at this store.",
    )  # fmt: skip


def test_a_store_needs_a_name(shop):
    with pytest.raises(DomainError) as refused:
        services.update_store(shop.store, actor=shop.admin, name="  ")
    assert (refused.value.code, refused.value.status) == ("validation_error", 422)
    assert str(refused.value.message) == "Give the store a name."
    db.session.rollback()
    with pytest.raises(TypeError, match="^colour$"):
        services.update_store(shop.store, actor=shop.admin, colour="red")


def test_a_store_change_is_audited_on_the_store_with_the_fields_changed(shop):
    from points_app.core.audit import AuditEntry

    services.update_store(shop.store, actor=shop.admin, opening_hours="8:00-17:00", void_days=2)
    db.session.commit()
    entry = db.session.execute(
        select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail).where(
            AuditEntry.action == "store_updated"
        )
    ).one()
    assert tuple(entry) == ("store", shop.store.id, {"fields": ["opening_hours", "void_days"]})


# --- cards --------------------------------------------------------------------------


def test_a_replaced_card_stops_working_at_once(shop, make_household, redeem):
    household = make_household(points=100)
    old_token = services.household_card_token(household)
    version = services.replace_household_card(household, actor=shop.admin)
    db.session.commit()

    assert version == 2
    _refused(
        lambda: services.resolve_household_card(old_token, community=shop.store.community),
        "card_revoked",
    )
    new_token = services.household_card_token(household)
    assert services.resolve_household_card(new_token, community=shop.store.community) == household
    entry = db.session.execute(
        text("SELECT action, object_id FROM audit_log WHERE action = 'household_card_replaced'")
    ).one()
    assert entry.object_id == household.id


def test_a_forged_card_is_refused(shop, make_household):
    household = make_household()
    token = services.household_card_token(household)
    forged = token.replace(f"h.{household.id}.", f"h.{household.id + 1}.")
    _refused(lambda: services.resolve_household_card(forged), "invalid_code")


def test_an_event_code_is_not_a_household_card(shop):
    _refused(lambda: services.resolve_household_card(qr.sign("event", 1, 5)), "invalid_code")


def test_a_card_of_another_community_is_refused(shop, make_household, redeem, tree):
    household = make_household(community=tree["community_b"], points=100)
    _refused(lambda: redeem(household, {shop.soap: 1}), "other_community")
    assert balance(household) == 100


def test_the_card_of_an_inactive_household_is_refused(shop, make_household, redeem):
    household = make_household(points=100, is_active=False)
    _refused(lambda: redeem(household, {shop.soap: 1}), "household_inactive")


def _redeem_with_card(shop, card: str) -> None:
    services.redeem_basket(
        store=shop.store, card=card, lines=[services.BasketLine(shop.soap.id, 1)],
        actor=shop.clerk, idempotency_key="card-check",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("replaced", "card_revoked"),
        ("no_household", "invalid_code"),
        ("event_code", "invalid_code"),
    ],
)
def test_the_counter_refuses_a_bad_card_and_records_nothing(shop, make_household, card, code):
    household = make_household(points=100)
    cards = {
        "replaced": services.household_card_token(household),
        # Signed by us, but for a household that does not exist.
        "no_household": qr.sign("household", household.id + 1000, 1),
        "event_code": qr.sign("event", household.id, 1),
    }
    services.replace_household_card(household, actor=shop.admin)
    db.session.commit()

    _refused(lambda: _redeem_with_card(shop, cards[card]), code)
    db.session.rollback()
    assert balance(household) == 100
    assert stock(shop.soap) == 100
    assert _count(Redemption) == 0


def test_a_household_that_never_had_points_is_told_what_is_missing(shop, make_household, redeem):
    household = make_household()  # no points yet: its account does not exist
    error = _refused(lambda: redeem(household, {shop.soap: 2}), "insufficient_points")
    assert error.details["missing"] == 10
    assert balance(household) == 0
    assert _count(Redemption) == 0


# --- voids --------------------------------------------------------------------------


def test_a_void_puts_points_and_stock_back_and_each_return_says_why(shop, make_household, redeem):
    household = make_household(points=200)
    redemption = redeem(household, {shop.rice: 2, shop.soap: 1})
    services.void_redemption(redemption, actor=shop.clerk, reason="household changed its mind")
    db.session.commit()

    assert redemption.is_voided and redemption.void_reason == "household changed its mind"
    assert balance(household) == 200
    assert stock(shop.rice) == 10 and stock(shop.soap) == 100
    assert all(check.is_clean for check in run_checks())
    returns = db.session.execute(
        select(StockMove.product_id, StockMove.quantity, StockMove.reason)
        .where(StockMove.kind == StockMoveKind.void_return)
        .order_by(StockMove.product_id)
    ).all()
    assert [tuple(r) for r in returns] == [
        (shop.rice.id, 2, "household changed its mind"),
        (shop.soap.id, 1, "household changed its mind"),
    ]


def test_a_void_needs_a_reason(shop, make_household, redeem):
    redemption = redeem(make_household(points=200), {shop.soap: 1})
    _refused(
        lambda: services.void_redemption(redemption, actor=shop.clerk, reason="  "),
        "reason_required",
    )


def test_a_redemption_is_voided_once(shop, make_household, redeem):
    household = make_household(points=200)
    redemption = redeem(household, {shop.soap: 1})
    services.void_redemption(redemption, actor=shop.clerk, reason="mistake")
    db.session.commit()
    _refused(
        lambda: services.void_redemption(redemption, actor=shop.clerk, reason="again"),
        "already_voided",
    )
    db.session.rollback()
    assert balance(household) == 200


def test_a_void_on_a_later_day_is_refused_unless_the_store_allows_it(shop, make_household, redeem):
    household = make_household(points=200)
    day = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    redemption = redeem(household, {shop.soap: 1}, now=day)
    next_day = day + dt.timedelta(days=1)
    late = _refused(
        lambda: services.void_redemption(redemption, actor=shop.clerk, reason="x", now=next_day),
        "void_window_passed",
    )
    assert str(late.message).startswith("This redemption is from March 2, 2026, past the store")
    db.session.rollback()
    services.update_store(shop.store, actor=shop.admin, void_days=1)
    services.void_redemption(redemption, actor=shop.clerk, reason="x", now=next_day)
    db.session.commit()
    assert balance(household) == 200


def test_only_a_role_that_may_void_can_void(shop, make_household, redeem, make_user, tree):
    redemption = redeem(make_household(points=200), {shop.soap: 1})
    organiser = make_user("organiser", tree["community_a"])
    _refused(lambda: services.void_redemption(redemption, actor=organiser, reason="x"), "forbidden")


# --- stock --------------------------------------------------------------------------


def test_a_donation_names_its_donor(shop):
    _refused(
        lambda: services.receive_stock(
            shop.rice, quantity=5, kind=StockMoveKind.donation, actor=shop.admin
        ),
        "validation_error",
    )


def test_an_adjustment_cannot_take_stock_below_zero(shop):
    error = _refused(
        lambda: services.adjust_stock(shop.oil, delta=-6, reason="stocktake", actor=shop.admin),
        "out_of_stock",
    )
    assert error.details["left"] == 5
    db.session.rollback()
    services.adjust_stock(shop.oil, delta=-5, reason="stocktake", actor=shop.admin)
    db.session.commit()
    assert stock(shop.oil) == 0


def test_an_adjustment_needs_a_reason(shop):
    _refused(
        lambda: services.adjust_stock(shop.oil, delta=1, reason="", actor=shop.admin),
        "reason_required",
    )


def test_a_transfer_moves_stock_to_the_same_product_in_another_store(shop, tree):
    other = services.create_store(community=tree["community_b"], name="丹峰超市", actor=shop.admin)
    out, into = services.transfer_stock(shop.rice, to_store=other, quantity=4, actor=shop.admin)
    db.session.commit()

    assert stock(shop.rice) == 6
    assert into.product.name == "大米" and into.product.store_id == other.id
    assert into.stock_after == 4 and out.stock_after == 6
    assert all(check.is_clean for check in run_checks())


def test_stock_moves_cannot_be_changed_or_deleted(shop):
    for statement in ("UPDATE stock_moves SET quantity = 99", "DELETE FROM stock_moves"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_ledger_verify_finds_a_stock_level_that_moves_do_not_explain(shop):
    db.session.execute(text(f"UPDATE products SET stock = 42 WHERE id = {shop.rice.id}"))
    db.session.commit()
    stock_check = next(check for check in run_checks() if check.name == "stock")
    assert not stock_check.is_clean
    assert "cached stock 42" in stock_check.problems[0]


def test_the_verify_command_checks_stock(shop, runner):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "stock" in result.output
    assert _count(StockMove) == 3
