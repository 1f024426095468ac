"""A household whose card is lost, forgotten or unreadable is served by the number printed
on the card, or by its phone's last four digits, after a second check; all audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.store.services import lookup
from tests.store.conftest import balance


@pytest.fixture
def clerk_client(shop, login_as):
    return login_as(shop.clerk)


def _actions(household_id: int | None = None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if household_id is not None:
        query = query.where(AuditEntry.object_id == household_id)
    return list(db.session.scalars(query))


def _key(html: str) -> str:
    match = re.search(r'name="key"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _card(html: str) -> str:
    match = re.search(r'name="card"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_number_typed_in_the_scan_field_asks_for_the_second_check(
    shop, clerk_client, make_household
):
    household = make_household(points=100, public_no="XS-DD-DG-H001", phone="13812345678")
    response = clerk_client.post(f"/store/{shop.store.id}/counter", data={"code": "xs-dd-dg-h001"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "XS-DD-DG-H001" in html and "王**" in html
    assert "13812345678" not in html and "5678" not in html
    assert 'name="last_four"' in html and 'name="qty-' not in html
    assert "household_looked_up_by_number" in _actions(household.id)


def test_the_right_last_four_digits_open_the_basket_and_the_household_can_redeem(
    shop, clerk_client, make_household
):
    household = make_household(points=100, public_no="XS-DD-DG-H001", phone="13812345678")
    check = clerk_client.post(
        f"/store/{shop.store.id}/counter/check",
        data={"household_id": household.id, "how": "number", "last_four": "5678"},
    )
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and 'name="qty-' in html and 'id="without-card"' in html
    done = clerk_client.post(
        f"/store/{shop.store.id}/redeem",
        data={"card": _card(html), "key": _key(html), f"qty-{shop.soap.id}": "2"},
    )
    assert done.status_code == 302
    assert balance(household) == 90
    assert "household_served_without_card" in _actions(household.id)


def test_wrong_last_four_digits_are_refused_audited_and_stop_after_five_tries(
    shop, clerk_client, make_household
):
    household = make_household(points=100, public_no="DG-H009", phone="13812345678")
    data = {"household_id": household.id, "how": "number", "last_four": "1111"}
    for _ in range(lookup.MAX_FAILED_CHECKS):
        wrong = clerk_client.post(f"/store/{shop.store.id}/counter/check", data=data)
        assert wrong.status_code == 409
        assert 'data-code="phone_mismatch"' in wrong.get_data(as_text=True)
        assert 'name="qty-' not in wrong.get_data(as_text=True)
    right = clerk_client.post(
        f"/store/{shop.store.id}/counter/check", data={**data, "last_four": "5678"}
    )
    assert right.status_code == 429 and 'data-code="too_many_tries"' in right.get_data(as_text=True)
    assert _actions(household.id).count("household_check_failed") == lookup.MAX_FAILED_CHECKS


def test_wrong_digits_for_one_household_do_not_count_against_another(
    shop, clerk_client, make_household
):
    tried = make_household(points=100, public_no="DG-H015", phone="13812345678")
    other = make_household(points=100, public_no="DG-H016", phone="13812340000")
    for _ in range(lookup.MAX_FAILED_CHECKS):
        clerk_client.post(
            f"/store/{shop.store.id}/counter/check",
            data={"household_id": tried.id, "how": "number", "last_four": "1111"},
        )
    right = clerk_client.post(
        f"/store/{shop.store.id}/counter/check",
        data={"household_id": other.id, "how": "number", "last_four": "0000"},
    )
    assert right.status_code == 200 and 'name="qty-' in right.get_data(as_text=True)


def test_a_number_of_another_community_is_unknown_at_this_counter(
    shop, clerk_client, make_household, tree
):
    make_household(community=tree["community_b"], public_no="XS-B-H001", phone="13812345678")
    response = clerk_client.post(f"/store/{shop.store.id}/counter", data={"code": "XS-B-H001"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and 'data-code="unknown_number"' in html
    assert "XS-B-H001" in html and "last_four" in html  # says what to do next
    assert "household_looked_up_by_number" in _actions()


@pytest.mark.parametrize("phone", [None, "123"], ids=["no phone", "under four digits"])
def test_a_household_without_a_phone_on_file_is_sent_to_the_office(
    shop, clerk_client, make_household, phone
):
    household = make_household(points=100, public_no="DG-H010", phone=phone)
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter/check",
        data={"household_id": household.id, "how": "number", "last_four": "0123"},
    )
    assert response.status_code == 409
    assert 'data-code="no_phone_on_file"' in response.get_data(as_text=True)


def test_the_phone_search_lists_masked_names_of_this_community_only(
    shop, clerk_client, make_household, tree
):
    mine = make_household(public_no="DG-H011", head_name="李四", phone="13900001234")
    make_household(public_no="DG-H012", head_name="张三", phone="13900009999")
    make_household(
        community=tree["community_b"], public_no="B-H013", head_name="赵六", phone="13700001234"
    )
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter/phone", data={"last_four": "1234"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "DG-H011" in html and "李*" in html and "李四" not in html
    assert "DG-H012" not in html and "B-H013" not in html
    assert "13900001234" not in html
    assert "household_searched_by_phone" in _actions()
    searched = db.session.execute(
        select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail).where(
            AuditEntry.action == "household_searched_by_phone"
        )
    ).all()
    assert [tuple(row) for row in searched] == [("area", shop.store.community_id, {"matches": 1})]
    picked = clerk_client.post(
        f"/store/{shop.store.id}/counter/check",
        data={"household_id": mine.id, "how": "phone", "last_four": "1234"},
    )
    assert picked.status_code == 200 and 'name="qty-' in picked.get_data(as_text=True)


def test_the_check_refuses_a_household_of_another_community(shop, tree, make_household, in_request):
    other = make_household(community=tree["community_b"], phone="13812345678")
    with pytest.raises(DomainError) as refused:
        lookup.check_household_without_card(
            other, last_four="5678", community=shop.store.community, actor=shop.clerk,
            how="number",
        )  # fmt: skip
    assert refused.value.code == "other_community"


def test_a_damaged_scan_is_worded_for_the_clerk(shop, clerk_client):
    response = clerk_client.post(
        f"/store/{shop.store.id}/counter", data={"code": "http://x.example/q/garbage.1.2"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "organiser" not in html and "number printed on the card" in html
    assert 'class="refusal-box"' in html and 'data-sound="refusal"' in html


def test_each_refusal_without_a_card_says_which_household_and_what_to_do(
    shop, make_household, in_request
):
    community, clerk = shop.store.community, shop.clerk
    no_phone = make_household(public_no="DG-H020")
    gone = make_household(public_no="DG-H021", phone="13812345678", is_active=False)
    tried = make_household(public_no="DG-H022", phone="13812345678")

    def check(household, last_four):
        return lookup.check_household_without_card(
            household, last_four=last_four, community=community, actor=clerk, how="number"
        )

    said = {}

    def refusal(what, fn, *args, **kwargs):
        with pytest.raises(DomainError) as refused:
            fn(*args, **kwargs)
        said[what] = (refused.value.code, refused.value.status, str(refused.value.message))

    refusal("no phone on file", check, no_phone, "1234")
    refusal("wrong digits", check, tried, "1111")
    for _ in range(lookup.MAX_FAILED_CHECKS - 1):
        with pytest.raises(DomainError):
            check(tried, "1111")
    refusal("too many tries", check, tried, "5678")
    refusal("no longer registered", lookup.find_household_by_number, "dg-h021",
            community=community, actor=clerk)  # fmt: skip
    refusal("no phone match", lookup.find_households_by_phone, "0000",
            community=community, actor=clerk)  # fmt: skip
    assert said == {
        "no phone on file": (
            "no_phone_on_file", 409,
            "Household DG-H020 has no phone on file, so it cannot be checked without its card. "
            "Ask the community office to print a new card (or to add the phone).",
        ),
        "wrong digits": (
            "phone_mismatch", 409,
            "The last four digits do not match the phone of household DG-H022. Ask the person "
            "again; if they still do not match, do not serve the household without its card.",
        ),
        "too many tries": (
            "too_many_tries", 429,
            "Too many wrong phone digits for household DG-H022 today. Do not serve it without "
            "its card; send the person to the community office.",
        ),
        "no longer registered": (
            "household_inactive", 410,
            "Household DG-H021 is no longer registered, so it cannot redeem. Send the person "
            "to the community office.",
        ),
        "no phone match": (
            "no_phone_match", 404,
            "No household of this community has a phone ending in 0000. Ask the person for "
            "the number on their card, or send them to the community office.",
        ),
    }  # fmt: skip
    looked_up = db.session.execute(
        select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail).where(
            AuditEntry.action == "household_looked_up_by_number"
        )
    ).all()
    assert [tuple(row) for row in looked_up] == [("household", gone.id, {"found": True})]


def test_wrong_digits_of_yesterday_no_longer_count_toward_todays_tries(
    shop, make_household, store_clock
):
    household = make_household(public_no="DG-H023", phone="13812345678")
    for _ in range(lookup.MAX_FAILED_CHECKS):
        with pytest.raises(DomainError):
            lookup.check_household_without_card(
                household, last_four="1111", community=shop.store.community, actor=shop.clerk,
                how="phone",
            )  # fmt: skip
    store_clock.shift(dt.timedelta(hours=24, minutes=1))
    assert lookup.check_household_without_card(
        household, last_four="5678", community=shop.store.community, actor=shop.clerk, how="phone"
    ) is household  # fmt: skip
