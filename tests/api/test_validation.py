"""The small JSON Schema checker behind read_json and read_query."""

from __future__ import annotations

import pytest

from points_app.api.openapi import component
from points_app.api.validation import read_json, read_query, validate
from points_app.core.errors import DomainError


def _field(schema, value) -> str:
    with pytest.raises(DomainError) as caught:
        validate(schema, value)
    assert caught.value.code == "validation_error"
    assert caught.value.status == 422
    return caught.value.details["field"]


def test_integers_are_bounded_to_the_database_range_unless_int64(app):
    assert _field({"type": "integer"}, 2**31) == "body"
    assert validate({"type": "integer"}, 2**31 - 1) == 2**31 - 1
    assert validate({"type": "integer", "format": "int64"}, 2**40) == 2**40
    assert _field({"type": "integer", "format": "int64"}, 2**63) == "body"


def test_nullable_and_union_types(app):
    schema = {"type": ["string", "null"], "maxLength": 3}
    assert validate(schema, None) is None
    assert validate(schema, "abc") == "abc"
    assert _field(schema, "abcd") == "body"
    assert _field(schema, 1) == "body"


def test_numbers_refuse_booleans_and_infinity(app):
    assert validate({"type": "number"}, 1) == 1
    assert _field({"type": "number"}, True) == "body"
    assert _field({"type": "number"}, float("inf")) == "body"
    assert _field({"type": "number", "exclusiveMinimum": 0}, 0) == "body"


def test_references_to_components_are_followed(app):
    ref = component("TestLine", {"type": "object", "required": ["q"], "properties": {"q": {}}})
    assert _field({"type": "array", "items": ref}, [{"q": 1}, {}]) == "[1].q"


def test_unique_items_and_extra_property_schema(app):
    assert _field({"type": "array", "uniqueItems": True}, [{"a": 1}, {"a": 1}]) == "body"
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert validate(schema, {"x": 1}) == {"x": 1}
    assert _field(schema, {"x": "1"}) == "x"


def test_unsupported_keywords_are_refused_loudly(app):
    with pytest.raises(ValueError, match="oneOf"):
        validate({"oneOf": [{"type": "string"}]}, "x")


def test_defaults_are_copies(app):
    schema = {"type": "object", "properties": {"tags": {"type": "array", "default": []}}}
    first = validate(schema, {})
    first["tags"].append("x")
    assert validate(schema, {}) == {"tags": []}


QUERY = {
    "type": "object",
    "properties": {
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "mine": {"type": "boolean"},
        "area": {"type": "array", "items": {"type": "integer"}},
    },
}


def test_query_strings_are_converted_and_checked(app):
    with app.test_request_context("/?page=3&mine=yes&area=1&area=2&unknown=x&status="):
        assert read_query(QUERY) == {"page": 3, "mine": True, "area": [1, 2]}
    with app.test_request_context("/"):
        assert read_query(QUERY) == {"page": 1}


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=x", "page"), ("page=0", "page"), ("mine=maybe", "mine"), ("area=1&area=z", "area[1]")],
)
def test_bad_query_values_name_the_argument(app, query, field):
    with app.test_request_context("/?" + query), pytest.raises(DomainError) as caught:
        read_query(QUERY)
    assert caught.value.details["field"] == field


def test_read_json_accepts_json_without_a_content_type(app):
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    with app.test_request_context("/", method="POST", data=b'{"a": 1}'):
        assert read_json(schema) == {"a": 1}
