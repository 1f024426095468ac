"""Every 4xx/5xx under /api/v1 is {"error": {"code", "message"}}; bad input is never a 500."""

from __future__ import annotations

import pytest

from points_app.accounts.models import Role


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture
def headers(tree, make_user, api_headers):
    return api_headers(make_user(Role.clerk, tree["community_a"]))


def test_unknown_route_is_json_not_found(client, headers):
    _error(client.get("/api/v1/no/such/thing"), 404, "not_found")
    _error(client.get("/api/v1/no/such/thing", headers=headers), 404, "not_found")
    _error(client.post("/api/v1/nothing-here", json={}), 404, "not_found")


def test_wrong_method_is_json_method_not_allowed(client, headers):
    response = client.get("/api/v1/auth/token", headers=headers)
    _error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    _error(client.put("/api/v1/me", headers=headers), 405, "method_not_allowed")


def test_missing_token_is_json_unauthorized(client, test_routes):
    _error(client.get("/api/v1/me"), 401, "unauthorized")
    _error(client.post("/api/v1/test/echo", json={}), 401, "unauthorized")


def test_refusal_is_json_forbidden(client, headers, test_routes):
    _error(client.get("/api/v1/test/forbidden", headers=headers), 403, "forbidden")


def test_body_that_is_not_json_is_a_validation_error(client, headers, test_routes):
    for data in (b"{not json", b"\xff\xfe\x00", b'{"a": NaN}', b"[" * 100_000):
        response = client.post(
            "/api/v1/test/echo", data=data, headers=headers, content_type="application/json"
        )
        error = _error(response, 400, "validation_error")
        assert error["details"]["field"] == "body"


def test_body_that_is_not_an_object_is_a_validation_error(client, headers, test_routes):
    for body in (b"[1, 2]", b'"text"', b"3", b"null"):
        response = client.post(
            "/api/v1/test/echo", data=body, headers=headers, content_type="application/json"
        )
        assert _error(response, 422, "validation_error")["details"]["field"] == "body"


def test_token_request_names_the_missing_field(client):
    response = client.post("/api/v1/auth/token", json={"username": "someone"})
    error = _error(response, 422, "validation_error")
    assert error["details"]["field"] == "password"
    assert "password" in error["message"]
    response = client.post("/api/v1/auth/token", json={"username": 5, "password": "x"})
    assert _error(response, 422, "validation_error")["details"]["field"] == "username"


GOOD = {"name": "n", "count": 1, "lines": [{"product_id": 1, "quantity": 2}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": "1"}, "count"),
        ({"count": 1.5}, "count"),
        ({"count": True}, "count"),
        ({"count": 2**31}, "count"),
        ({"count": -(2**40)}, "count"),
        ({"count": 10**400}, "count"),
        ({"name": ""}, "name"),
        ({"name": "x" * 11}, "name"),
        ({"name": None}, "name"),
        ({"ratio": 2}, "ratio"),
        ({"ratio": "0.5"}, "ratio"),
        ({"kind": "c"}, "kind"),
        ({"lines": {}}, "lines"),
        ({"lines": [{"product_id": 1, "quantity": 2}] * 4}, "lines"),
        ({"lines": [{"product_id": 1, "quantity": 2}, {"product_id": 2}]}, "lines[1].quantity"),
        ({"lines": [{"product_id": 0, "quantity": 2}]}, "lines[0].product_id"),
        ({"lines": ["x"]}, "lines[0]"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_wrong_input_names_the_field(client, headers, test_routes, change, field):
    response = client.post("/api/v1/test/echo", json={**GOOD, **change}, headers=headers)
    error = _error(response, 422, "validation_error")
    assert error["details"]["field"] == field
    assert field in error["message"]


def test_good_input_comes_back_with_defaults(client, headers, test_routes):
    response = client.post("/api/v1/test/echo", json=GOOD, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {**GOOD, "kind": "a"}


def test_empty_body_counts_as_an_empty_object(client, headers, test_routes):
    response = client.post("/api/v1/test/echo", headers=headers)
    assert _error(response, 422, "validation_error")["details"]["field"] == "name"


def test_unexpected_failure_is_json_server_error(app, client, headers, test_routes):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/test/crash", headers=headers)
    error = _error(response, 500, "server_error")
    assert "boom" not in error["message"]


def test_too_large_body_is_json(app, client, headers, test_routes):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/test/echo", data=b"{" + b" " * 2000 + b"}", headers=headers)
    _error(response, 413, "payload_too_large")
