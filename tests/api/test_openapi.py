"""The OpenAPI document describes every /api/v1 route, and the routes answer as described."""

from __future__ import annotations

from typing import Any

import pytest

from points_app.accounts.models import Role
from points_app.api.openapi import (
    API_PREFIX,
    SKIPPED_METHODS,
    api_rules,
    openapi_path,
    resolve_ref,
    undocumented,
)
from points_app.api.validation import validate
from points_app.core.errors import DomainError
from tests.conftest import PASSWORD


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_document_is_openapi_3_1_with_error_schema(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    error = document["components"]["schemas"]["ErrorResponse"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_api_route_is_documented(app, document):
    assert undocumented(app) == []
    for rule in api_rules(app):
        path, _ = openapi_path(rule.rule)
        for method in rule.methods - SKIPPED_METHODS:
            assert method.lower() in document["paths"].get(path, {}), f"{method} {rule.rule}"


def test_every_documented_path_exists(app, document):
    routes = {
        (openapi_path(rule.rule)[0], method.lower())
        for rule in api_rules(app)
        for method in rule.methods - SKIPPED_METHODS
    }
    for path, operations in document["paths"].items():
        assert path.startswith(API_PREFIX + "/")
        for method in operations:
            assert (path, method) in routes, f"{method} {path}"


def test_every_api_route_is_on_the_api_blueprint(app):
    """The blueprint is what exempts bearer-token calls from the web forms' CSRF check."""
    assert [r.rule for r in api_rules(app) if not r.endpoint.startswith("api.")] == []


def test_references_resolve_and_operation_ids_are_unique(document):
    for ref in _refs(document):
        resolve_ref(ref)
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_documented_routes_get_standard_errors(document):
    me = document["paths"]["/api/v1/me"]["get"]
    assert "401" in me["responses"]
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == []
    assert {"200", "400", "401", "422", "429"} <= set(token["responses"])
    error_schema = token["responses"]["429"]["content"]["application/json"]["schema"]
    assert error_schema == {"$ref": "#/components/schemas/ErrorResponse"}


def test_idempotent_routes_document_the_key(app, test_routes):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/test/effects"]["post"]
    header = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header[0]["name"] == "Idempotency-Key"
    assert header[0]["required"] is True
    assert "idempotency_mismatch" in operation["responses"]["422"]["description"]


def _check(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """Check a response body against the schema the document gives for it."""
    response = document["paths"][path][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    try:
        validate(schema, body)
    except DomainError as error:  # pragma: no cover - the message says what differs
        pytest.fail(f"{method} {path} {status}: {error.message} ({error.details})")


def test_responses_match_the_document(client, document, tree, make_user):
    make_user(Role.committee, tree["community_a"], username="chen", phone="13812345678")
    response = client.post("/api/v1/auth/token", json={"username": "chen", "password": "nope"})
    _check(document, "/api/v1/auth/token", "post", 401, response.get_json())
    response = client.post("/api/v1/auth/token", json={"username": "chen", "password": PASSWORD})
    _check(document, "/api/v1/auth/token", "post", 200, response.get_json())

    headers = {"Authorization": "Bearer " + response.get_json()["token"]}
    response = client.get("/api/v1/me", headers=headers)
    _check(document, "/api/v1/me", "get", 200, response.get_json())
    response = client.get("/api/v1/me")
    _check(document, "/api/v1/me", "get", 401, response.get_json())
