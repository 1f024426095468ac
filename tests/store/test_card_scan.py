"""Household cards read through POST /api/v1/scan and `resolve_household_card`: a card
works only for the household's own community, in its current version, while registered."""

from __future__ import annotations

import pytest

from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger.models import Account
from points_app.store.services import (
    household_balance,
    household_card_token,
    replace_household_card,
    resolve_household_card,
)
from tests.store.conftest import give_points


def _scan(client, api_headers, user, code):
    response = client.post("/api/v1/scan", json={"code": code}, headers=api_headers(user))
    return response.status_code, response.get_json()


def test_a_clerk_scans_a_card_of_their_own_community(client, api_headers, shop, make_household):
    household = make_household()
    status, body = _scan(client, api_headers, shop.clerk, household_card_token(household))
    assert status == 200
    assert body == {"kind": "household", "id": household.id, "community_id": household.community_id}


def test_a_clerk_of_another_community_scanning_a_card_is_refused(
    client, api_headers, shop, make_household, make_user, tree
):
    household = make_household()  # community A
    stranger = make_user("clerk", tree["community_b"])
    status, body = _scan(client, api_headers, stranger, household_card_token(household))
    assert status == 403
    assert body["error"]["code"] == "other_community"
    assert "id" not in body and str(household.id) not in str(body.get("error", {}).get("details"))


def test_a_clerk_of_the_street_above_may_scan_a_communitys_card(
    client, api_headers, shop, make_household, make_user, tree
):
    household = make_household()
    street_clerk = make_user("clerk", tree["street"])
    status, body = _scan(client, api_headers, street_clerk, household_card_token(household))
    assert status == 200 and body["id"] == household.id


def test_a_user_without_the_redeem_permission_cannot_read_a_card(
    client, api_headers, shop, make_household, make_user, tree
):
    household = make_household()
    organiser = make_user("organiser", tree["community_a"])
    status, body = _scan(client, api_headers, organiser, household_card_token(household))
    assert status == 403 and body["error"]["code"] == "other_community"


def test_a_replaced_card_scanned_is_410_and_the_new_one_works(
    client, api_headers, shop, make_household
):
    household = make_household()
    old = household_card_token(household)
    replace_household_card(household, actor=shop.admin)
    db.session.commit()
    status, body = _scan(client, api_headers, shop.clerk, old)
    assert status == 410 and body["error"]["code"] == "card_revoked"
    status, body = _scan(client, api_headers, shop.clerk, household_card_token(household))
    assert status == 200 and body["id"] == household.id


def test_a_card_of_a_household_no_longer_registered_is_410(
    client, api_headers, shop, make_household
):
    household = make_household()
    household.is_active = False
    db.session.commit()
    status, body = _scan(client, api_headers, shop.clerk, household_card_token(household))
    assert status == 410 and body["error"]["code"] == "household_inactive"


def _refusal(scanned, **kwargs) -> tuple[str, int]:
    with pytest.raises(DomainError) as refused:
        resolve_household_card(scanned, **kwargs)
    return refused.value.code, refused.value.status


def test_a_card_at_another_communitys_store_is_refused(shop, make_household, tree):
    household = make_household()
    token = household_card_token(household)
    assert resolve_household_card(token, community=tree["community_a"]).id == household.id
    assert _refusal(token, community=tree["community_b"]) == ("other_community", 403)


def test_a_signed_code_that_is_not_a_household_card_is_invalid(shop, make_household):
    household = make_household()
    assert _refusal(qr.sign("person", household.id, household.card_version)) == (
        "invalid_code", 400,
    )  # fmt: skip
    assert _refusal(qr.sign("household", household.id + 999, 1)) == ("invalid_code", 400)
    assert _refusal(household_card_token(household)[:-1] + "x") == ("invalid_code", 400)


def test_a_card_without_a_version_is_not_the_current_card(shop, make_household):
    household = make_household()
    assert _refusal(qr.sign("household", household.id)) == ("card_revoked", 410)
    assert _refusal(qr.sign("household", household.id, household.card_version + 1)) == (
        "card_revoked", 410,
    )  # fmt: skip


def test_replacing_a_card_bumps_the_version_in_hand_and_audits_who_and_which(shop, make_household):
    from sqlalchemy import select

    from points_app.core.audit import AuditEntry

    household = make_household()
    assert household.card_version == 1
    assert replace_household_card(household, actor=shop.admin) == 2
    assert household.card_version == 2  # the object in hand, without reloading it
    assert replace_household_card(household, actor=shop.admin) == 3
    db.session.commit()
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "household_card_replaced")
        .order_by(AuditEntry.id)
    )
    assert [(e.actor_id, e.object_type, e.object_id, e.detail) for e in entries] == [
        (shop.admin.id, "household", household.id, {"card_version": 2}),
        (shop.admin.id, "household", household.id, {"card_version": 3}),
    ]


def test_the_counter_reads_a_households_own_balance_without_opening_an_account(
    shop, make_household
):
    from sqlalchemy import func, select

    household, other = make_household(), make_household(points=3)
    accounts = db.session.scalar(select(func.count(Account.id)))
    assert household_balance(household) == 0  # no account yet: nothing to spend
    assert db.session.scalar(select(func.count(Account.id))) == accounts
    give_points(household, 7)
    assert (household_balance(household), household_balance(other)) == (7, 3)


def test_each_refusal_tells_the_clerk_what_to_do_in_chinese(app, shop, make_household, tree):
    from flask_babel import force_locale

    household, gone = make_household(), make_household()
    gone.is_active = False
    db.session.commit()
    not_ours = "扫到的不是本系统的家庭卡，或卡片已损坏。请再扫一次；仍不行就输入卡上印的编号。"
    cases = {
        "not a card at all": not_ours,
        household_card_token(household)[:-2] + "xx": not_ours,
        qr.sign("household", household.id + 999, 1): "此卡没有对应的困难户，请到社区补办新卡。",
        qr.sign(
            "household", household.id, 0
        ): "此卡已挂失补办。请让该户出示新卡，或请社区打印一张。",
        household_card_token(gone): "该户已不在登记名单中，请咨询社区。",
        qr.sign("person", household.id, 1): "这不是家庭卡，请扫描该户的爱心超市卡。",
    }
    with app.test_request_context(), force_locale("zh"):
        for token, message in cases.items():
            with pytest.raises(DomainError) as refused:
                resolve_household_card(token)
            assert str(refused.value.message) == message
        with pytest.raises(DomainError) as refused:
            resolve_household_card(household_card_token(household), community=tree["community_b"])
        assert (
            str(refused.value.message) == "此卡属于其他社区的困难户，只能在该社区的爱心超市使用。"
        )
