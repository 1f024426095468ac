"""Test-only /api/v1 routes, registered on the test's app before its first request."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask, request
from flask_login import current_user
from sqlalchemy import func, select

from points_app.api.idempotency import idempotent
from points_app.api.openapi import api_doc
from points_app.api.validation import read_json
from points_app.core.audit import AuditEntry, record
from points_app.core.errors import DomainError, Forbidden
from points_app.extensions import db

EFFECT_BODY = {
    "type": "object",
    "required": ["amount"],
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": 1000},
        "memo": {"type": "string", "maxLength": 50, "default": ""},
    },
}
ECHO_BODY = {
    "type": "object",
    "required": ["name", "count", "lines"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 10},
        "count": {"type": "integer"},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "kind": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "lines": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "required": ["product_id", "quantity"],
                "properties": {
                    "product_id": {"type": "integer", "minimum": 1},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
                },
            },
        },
    },
}


def effects() -> int:
    """How many times the test effect ran (and was committed)."""
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.effect")
    )


@pytest.fixture
def test_routes(app: Flask) -> Flask:
    """Add a few routes to exercise the API machinery."""

    @api_doc("Test effect", body=EFFECT_BODY, responses={201: "Done", 409: "`refused`"})
    @idempotent
    def make_effect() -> Any:
        data = read_json(EFFECT_BODY)
        if data["memo"] == "refuse":
            raise DomainError("refused", "Refused on purpose.", 409)
        entry = record(current_user, "test.effect", "test", None, **data)
        db.session.flush()
        time.sleep(float(request.args.get("sleep", "0")))
        if data["memo"] == "commit":
            db.session.commit()
        return {"effect_id": entry.id, "amount": data["amount"], "memo": data["memo"]}, 201

    @api_doc("Test echo", body=ECHO_BODY, responses={200: "The input, checked"})
    def echo() -> Any:
        return read_json(ECHO_BODY)

    @api_doc("Test refusal", responses={403: "`forbidden`"})
    def forbidden() -> Any:
        raise Forbidden()

    @api_doc("Test crash", responses={500: "`server_error`"})
    def crash() -> Any:
        raise RuntimeError("boom")

    # Endpoints named "api.*" belong to the api blueprint, as real API routes do.
    app.add_url_rule(
        "/api/v1/test/effects", "api.make_effect", view_func=make_effect, methods=["POST"]
    )
    app.add_url_rule("/api/v1/test/echo", "api.echo", view_func=echo, methods=["POST"])
    app.add_url_rule("/api/v1/test/forbidden", "api.forbidden", view_func=forbidden)
    app.add_url_rule("/api/v1/test/crash", "api.crash", view_func=crash)
    return app
