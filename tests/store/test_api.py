"""The love supermarket over /api/v1: products, redemptions, voids, as API.md promises."""

from __future__ import annotations

from typing import Any

import pytest

from points_app.api.openapi import build_openapi
from points_app.api.validation import validate
from points_app.store import services
from tests.conftest import PASSWORD
from tests.store.conftest import balance, stock


@pytest.fixture
def bearer(client) -> Any:
    def get(user) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": "Bearer " + response.get_json()["token"]}

    return get


def _matches_document(app, path: str, method: str, status: int, body: Any) -> None:
    document = build_openapi(app)
    response = document["paths"][path][method]["responses"][str(status)]
    validate(response["content"]["application/json"]["schema"], body)


def _basket(shop, household, **lines: int) -> dict[str, Any]:
    return {
        "store_id": shop.store.id,
        "card": services.household_card_token(household),
        "lines": [
            {"product_id": getattr(shop, name).id, "quantity": q} for name, q in lines.items()
        ],
    }


def test_products_list_prices_and_stock(app, client, shop, bearer):
    response = client.get(f"/api/v1/stores/{shop.store.id}/products", headers=bearer(shop.clerk))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {(p["name"], p["points_price"], p["stock"]) for p in body["products"]} == {
        ("大米", 60, 10), ("食用油", 50, 5), ("肥皂", 5, 100)
    }  # fmt: skip
    _matches_document(app, "/api/v1/stores/{store_id}/products", "get", 200, body)


def test_a_store_of_another_community_is_not_found(client, shop, bearer, make_user, tree):
    stranger = make_user("clerk", tree["community_b"])
    response = client.get(f"/api/v1/stores/{shop.store.id}/products", headers=bearer(stranger))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_redemption_is_made_once_per_idempotency_key(app, client, shop, bearer, make_household):
    household = make_household(points=200)
    headers = {**bearer(shop.clerk), "Idempotency-Key": "counter-1-0001"}
    basket = _basket(shop, household, rice=1, soap=2)

    first = client.post("/api/v1/redemptions", json=basket, headers=headers)
    again = client.post("/api/v1/redemptions", json=basket, headers=headers)

    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["total_points"], body["balance_after"]) == (70, 130)
    assert [line["quantity"] for line in body["lines"]] == [1, 2]
    assert "head_name" not in str(body) and household.head_name not in str(body)
    assert again.status_code == 201 and again.get_json() == body
    assert balance(household) == 130 and stock(shop.rice) == 9
    _matches_document(app, "/api/v1/redemptions", "post", 201, body)


def test_the_same_key_with_another_basket_is_a_mismatch(client, shop, bearer, make_household):
    household = make_household(points=200)
    headers = {**bearer(shop.clerk), "Idempotency-Key": "k"}
    client.post("/api/v1/redemptions", json=_basket(shop, household, soap=1), headers=headers)
    response = client.post(
        "/api/v1/redemptions", json=_basket(shop, household, soap=2), headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_mismatch"


@pytest.mark.parametrize(
    ("lines", "points", "status", "code"),
    [
        ({"rice": 2}, 100, 409, "insufficient_points"),
        ({"oil": 6}, 1000, 409, "out_of_stock"),
    ],
)
def test_refusals_carry_the_contract_codes(
    client, shop, bearer, make_household, lines, points, status, code
):
    household = make_household(points=points)
    response = client.post(
        "/api/v1/redemptions",
        json=_basket(shop, household, **lines),
        headers={**bearer(shop.clerk), "Idempotency-Key": "x"},
    )
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert balance(household) == points


def test_a_limit_is_refused_as_limit_reached(client, shop, bearer, make_household):
    services.update_store(shop.store, actor=shop.admin, monthly_product_limit=1)
    from points_app.extensions import db

    db.session.commit()
    household = make_household(points=1000)
    response = client.post(
        "/api/v1/redemptions",
        json=_basket(shop, household, soap=2),
        headers={**bearer(shop.clerk), "Idempotency-Key": "x"},
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "limit_reached"
    assert error["details"]["limit"] == "quantity_per_product_per_month"


def test_a_replaced_card_is_refused_with_410(client, shop, bearer, make_household):
    household = make_household(points=100)
    basket = _basket(shop, household, soap=1)
    services.replace_household_card(household, actor=shop.admin)
    from points_app.extensions import db

    db.session.commit()
    response = client.post(
        "/api/v1/redemptions", json=basket, headers={**bearer(shop.clerk), "Idempotency-Key": "x"}
    )
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "card_revoked"


@pytest.mark.parametrize(
    "body",
    [
        {"store_id": 1, "card": "x", "lines": []},
        {"store_id": 1, "card": "x", "lines": [{"product_id": 1, "quantity": 0}]},
        {"store_id": 1, "card": "x", "lines": [{"product_id": 1, "quantity": 10**9}]},
        {"store_id": "1", "card": "x", "lines": [{"product_id": 1, "quantity": 1}]},
        {"card": "x", "lines": [{"product_id": 1, "quantity": 1}]},
    ],
)
def test_malformed_baskets_are_validation_errors(client, shop, bearer, body):
    response = client.post(
        "/api/v1/redemptions", json=body, headers={**bearer(shop.clerk), "Idempotency-Key": "x"}
    )
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_forged_card_is_invalid_code(client, shop, bearer):
    body = {
        "store_id": shop.store.id,
        "card": "h.1.1.forged",
        "lines": [{"product_id": shop.soap.id, "quantity": 1}],
    }
    response = client.post(
        "/api/v1/redemptions", json=body, headers={**bearer(shop.clerk), "Idempotency-Key": "x"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_code"


def test_a_void_gives_points_and_stock_back(app, client, shop, bearer, make_household):
    household = make_household(points=200)
    headers = bearer(shop.clerk)
    made = client.post(
        "/api/v1/redemptions",
        json=_basket(shop, household, rice=2),
        headers={**headers, "Idempotency-Key": "v"},
    ).get_json()

    response = client.post(
        f"/api/v1/redemptions/{made['id']}/void", json={"reason": "wrong basket"}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "voided"
    assert balance(household) == 200 and stock(shop.rice) == 10
    _matches_document(
        app, "/api/v1/redemptions/{redemption_id}/void", "post", 200, response.get_json()
    )

    again = client.post(f"/api/v1/redemptions/{made['id']}/void", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_voided"


def test_a_255_character_idempotency_key_makes_one_redemption(client, shop, bearer, make_household):
    household = make_household(points=200)
    headers = {**bearer(shop.clerk), "Idempotency-Key": "k" * 255}
    basket = _basket(shop, household, soap=1)

    first = client.post("/api/v1/redemptions", json=basket, headers=headers)
    again = client.post("/api/v1/redemptions", json=basket, headers=headers)

    assert first.status_code == 201, first.get_json()
    assert again.get_json() == first.get_json()
    assert balance(household) == 195 and stock(shop.soap) == 99
