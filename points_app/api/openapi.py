"""The OpenAPI 3.1 document of /api/v1, built from what each handler declares.

Declare a route next to its handler; the document is assembled from `app.url_map`,
so a documented path always exists, and a test fails for any /api/v1 rule that
has no `@api_doc`:

    TRANSFER = component("Transfer", {"type": "object", "properties": {...}})
    TRANSFER_REQUEST = {"type": "object", "required": [...], "properties": {...}}

    @bp.post("/transfers")
    @api_doc(
        "Move points from one account to another",
        tags=["points"],
        body=TRANSFER_REQUEST,
        responses={201: ("The transfer made", TRANSFER), 409: "`insufficient_points`"},
    )
    @idempotent
    def create_transfer() -> Any:
        data = read_json(TRANSFER_REQUEST)
        ...

Responses given as a bare description with a 4xx/5xx status are documented with
the `ErrorResponse` schema. Added without asking: 401 on every route not marked
`@public`, 400/422 `validation_error` on routes with a body or query schema, and the
`Idempotency-Key` header (plus 422 `idempotency_mismatch`) on `@idempotent` routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask

API_PREFIX = "/api/v1"
SKIPPED_METHODS = frozenset({"HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])
Schema = Mapping[str, Any]
ResponseSpec = str | tuple[str, Schema | None]

# Named schemas for #/components/schemas; filled at import time by the route modules.
COMPONENTS: dict[str, dict[str, Any]] = {}


def component(name: str, schema: Schema) -> dict[str, str]:
    """Register a named schema and return a `$ref` to it (usable in bodies and responses)."""
    existing = COMPONENTS.get(name)
    if existing is not None and existing != dict(schema):
        raise ValueError(f"a different schema is already registered as {name!r}")
    COMPONENTS[name] = dict(schema)
    return {"$ref": f"#/components/schemas/{name}"}


def resolve_ref(ref: str) -> dict[str, Any]:
    """The schema a `#/components/schemas/<name>` reference points to."""
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix) or ref[len(prefix) :] not in COMPONENTS:
        raise ValueError(f"unknown schema reference {ref!r}")
    return COMPONENTS[ref[len(prefix) :]]


ERROR_RESPONSE = component(
    "ErrorResponse",
    {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "A stable snake_case word for programs, "
                        "e.g. not_found, validation_error, insufficient_points.",
                    },
                    "message": {"type": "string", "description": "For people to read."},
                    "details": {
                        "type": "object",
                        "description": "More about the error, e.g. `field` for a "
                        "validation_error, `retry_after` (seconds) for rate_limited.",
                    },
                },
            }
        },
    },
)


@dataclass(frozen=True)
class Operation:
    """What a handler declares about itself for the document."""

    summary: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    body: Schema | None = None
    query: Schema | None = None
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)


def api_doc(
    summary: str,
    *,
    description: str | None = None,
    tags: Sequence[str] = (),
    body: Schema | None = None,
    query: Schema | None = None,
    responses: Mapping[int, ResponseSpec],
) -> Callable[[F], F]:
    """Describe an /api/v1 handler for the OpenAPI document.

    `body` and `query` are the JSON Schemas the handler checks with `read_json` /
    `read_query`; `responses` maps a status to a description, or to a
    (description, schema) pair.
    """
    operation = Operation(
        summary=summary,
        description=description,
        tags=tuple(tags),
        body=body,
        query=query,
        responses=dict(responses),
    )

    def decorate(view: F) -> F:
        view.api_operation = operation  # type: ignore[attr-defined]
        return view

    return decorate


_RULE_ARG = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}


def api_rules(app: Flask) -> list[Any]:
    """The URL rules under /api/v1."""
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX + "/")]


def openapi_path(rule_text: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn `/x/<int:id>` into `/x/{id}` and its path parameters."""
    params: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        schema = _CONVERTER_SCHEMAS.get(match["converter"] or "", {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": dict(schema)})
        return "{" + name + "}"

    return _RULE_ARG.sub(replace, rule_text), params


def undocumented(app: Flask) -> list[str]:
    """'METHOD /path' of every /api/v1 route without `@api_doc`."""
    missing = []
    for rule in api_rules(app):
        if getattr(app.view_functions[rule.endpoint], "api_operation", None) is None:
            missing += [f"{m} {rule.rule}" for m in sorted(rule.methods - SKIPPED_METHODS)]
    return missing


def _response(status: int, spec: ResponseSpec) -> dict[str, Any]:
    schema: Schema | None
    if isinstance(spec, str):
        description, schema = spec, (ERROR_RESPONSE if status >= 400 else None)
    else:
        description, schema = spec
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": dict(schema)}}
    return out


def _operation(
    view: Any, method: str, endpoint: str, path_params: list[dict[str, Any]], methods: int
) -> dict[str, Any]:
    op: Operation = view.api_operation
    is_public = getattr(view, "api_public", False)
    idempotency = getattr(view, "api_idempotent", None)
    out: dict[str, Any] = {
        "operationId": endpoint if methods == 1 else f"{endpoint}_{method.lower()}",
        "summary": op.summary,
    }
    if op.description:
        out["description"] = op.description
    if op.tags:
        out["tags"] = list(op.tags)

    params = [dict(p) for p in path_params]
    if op.query is not None:
        required = set(op.query.get("required", ()))
        for name, schema in op.query.get("properties", {}).items():
            param: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": dict(schema),
            }
            if "description" in schema:
                param["description"] = schema["description"]
            params.append(param)
    if idempotency is not None:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": idempotency == "required",
                "description": "1-255 characters chosen by the client, unique per attempt of "
                "one operation. Sent again with the same body, it returns the first "
                "response and changes nothing more.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": bool(op.body.get("required")),
            "content": {"application/json": {"schema": dict(op.body)}},
        }

    responses = {status: _response(status, spec) for status, spec in op.responses.items()}
    # Any text anywhere in a request (query, path, body) may be refused at the edge.
    refused = "`invalid_text`: a text holds a control character, NUL or a lone surrogate."
    if op.body is not None:
        refused = "`validation_error`: the body is not JSON (or nested too deeply). " + refused
    if 400 in responses:
        responses[400] = {
            **responses[400],
            "description": responses[400]["description"] + " " + refused,
        }
    else:
        responses[400] = _response(400, refused)
    if op.body is not None or op.query is not None or idempotency is not None:
        text = "`validation_error`: an input is missing or wrong; `details.field` names it."
        if idempotency is not None:
            text += " `idempotency_mismatch`: the key was used before with another request."
        responses.setdefault(422, _response(422, text))
    if not is_public:
        responses.setdefault(401, _response(401, "`unauthorized`: no valid bearer token."))
    out["responses"] = {str(status): responses[status] for status in sorted(responses)}
    if is_public:
        out["security"] = []
    return out


def build_openapi(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented /api/v1 route of the app."""
    paths: dict[str, dict[str, Any]] = {}
    seen_ids: set[str] = set()
    for rule in sorted(api_rules(app), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "api_operation", None) is None:
            continue
        path, path_params = openapi_path(rule.rule)
        methods = sorted(rule.methods - SKIPPED_METHODS)
        for method in methods:
            operation = _operation(view, method, rule.endpoint, path_params, len(methods))
            # One view behind two rules: keep operationId unique.
            while operation["operationId"] in seen_ids:
                operation["operationId"] += "_"
            seen_ids.add(operation["operationId"])
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Community Love Points API",
            "version": "1.0.0",
            "description": "Volunteer service points, the love supermarket and residents' "
            'issues. Errors are {"error": {"code", "message"}}; times are ISO 8601 '
            "with a UTC offset. Get a token from POST /api/v1/auth/token and send it as "
            "`Authorization: Bearer <token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": {name: COMPONENTS[name] for name in sorted(COMPONENTS)},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
