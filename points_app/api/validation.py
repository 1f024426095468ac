"""Read and check JSON bodies and query strings against small JSON Schemas.

The same schema dict documents the route in OpenAPI (`api_doc(body=...)`) and checks
the input (`read_json(SCHEMA)`), so the two cannot drift apart. Supported keywords:
`type` (a name or a list, "null" included), `enum`, `$ref` to a registered component,
`default`; strings: `minLength`, `maxLength`, `pattern`; numbers: `minimum`,
`maximum`, `exclusiveMinimum`, `exclusiveMaximum`; objects: `properties`,
`required`, `additionalProperties` (true, false or a schema); arrays: `items`,
`minItems`, `maxItems`, `uniqueItems`. Other validation keywords are refused
loudly rather than silently ignored.

An "integer" is a JSON integer (not a boolean, not 1.5) within the signed 32-bit
range unless the schema says `"format": "int64"` or gives its own bounds, so an id
or amount never overflows a database column. Give every string a `maxLength`.

A refusal is DomainError("validation_error", message, 422, field="lines[0].quantity");
a body that is not JSON at all is the same code with status 400.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from points_app.api.openapi import resolve_ref
from points_app.core.errors import DomainError
from points_app.core.safe_input import load_json

Schema = Mapping[str, Any]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_UNSUPPORTED = frozenset(
    {
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "const", "multipleOf",
        "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas",
        "minProperties", "maxProperties", "prefixItems", "contains", "unevaluatedProperties",
    }
)  # fmt: skip
_TYPE_NAMES = {
    "object": _l("an object"),
    "array": _l("a list"),
    "string": _l("a string"),
    "integer": _l("an integer"),
    "number": _l("a number"),
    "boolean": _l("true or false"),
    "null": _l("null"),
}


def invalid(field: str, message: str, status: int = 422) -> DomainError:
    """A validation_error naming the field."""
    return DomainError("validation_error", message, status, field=field or "body")


def _label(field: str) -> str:
    return field or "body"


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    raise ValueError(f"unknown JSON Schema type {name!r}")


def validate(schema: Schema, value: Any, field: str = "") -> Any:
    """Check `value` against `schema` and return it, with object defaults filled in."""
    if "$ref" in schema:
        schema = resolve_ref(schema["$ref"])
    unsupported = _UNSUPPORTED.intersection(schema)
    if unsupported:
        raise ValueError(f"validation keywords not supported: {sorted(unsupported)}")

    label = _label(field)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, name) for name in names):
            wanted = _(" or ").join(str(_TYPE_NAMES[name]) for name in names)
            raise invalid(field, _("%(field)s must be %(type)s.", field=label, type=wanted))
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(choice, ensure_ascii=False) for choice in schema["enum"])
        raise invalid(
            field, _("%(field)s must be one of %(choices)s.", field=label, choices=choices)
        )

    if isinstance(value, str):
        _check_string(schema, value, field)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(schema, value, field, types)
    elif isinstance(value, list):
        value = _check_array(schema, value, field)
    elif isinstance(value, dict):
        value = _check_object(schema, value, field)
    return value


def _check_string(schema: Schema, value: str, field: str) -> None:
    label = _label(field)
    if "minLength" in schema and len(value) < schema["minLength"]:
        if schema["minLength"] == 1:
            raise invalid(field, _("%(field)s must not be empty.", field=label))
        raise invalid(
            field,
            _("%(field)s must be at least %(n)d characters.", field=label, n=schema["minLength"]),
        )
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise invalid(
            field,
            _("%(field)s must be at most %(n)d characters.", field=label, n=schema["maxLength"]),
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise invalid(field, _("%(field)s is not in the right format.", field=label))


def _check_number(schema: Schema, value: float, field: str, types: Any) -> None:
    label = _label(field)
    low: float | None = schema.get("minimum")
    high: float | None = schema.get("maximum")
    is_integer_schema = types == "integer" or (isinstance(types, list) and "integer" in types)
    if is_integer_schema and isinstance(value, int):
        bounds = INT64 if schema.get("format") == "int64" else INT32
        low = bounds[0] if low is None else low
        high = bounds[1] if high is None else high
    if low is not None and value < low:
        raise invalid(field, _("%(field)s must be at least %(n)s.", field=label, n=low))
    if high is not None and value > high:
        raise invalid(field, _("%(field)s must be at most %(n)s.", field=label, n=high))
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        raise invalid(
            field,
            _("%(field)s must be more than %(n)s.", field=label, n=schema["exclusiveMinimum"]),
        )
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        raise invalid(
            field,
            _("%(field)s must be less than %(n)s.", field=label, n=schema["exclusiveMaximum"]),
        )


def _check_array(schema: Schema, value: list[Any], field: str) -> list[Any]:
    label = _label(field)
    if "minItems" in schema and len(value) < schema["minItems"]:
        raise invalid(
            field, _("%(field)s needs at least %(n)d items.", field=label, n=schema["minItems"])
        )
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise invalid(
            field, _("%(field)s takes at most %(n)d items.", field=label, n=schema["maxItems"])
        )
    items = schema.get("items")
    if items is not None:
        value = [validate(items, item, f"{field}[{i}]") for i, item in enumerate(value)]
    if schema.get("uniqueItems"):
        seen = [json.dumps(item, sort_keys=True) for item in value]
        if len(set(seen)) != len(seen):
            raise invalid(field, _("%(field)s must not repeat an item.", field=label))
    return value


def _check_object(schema: Schema, value: dict[str, Any], field: str) -> dict[str, Any]:
    properties: Mapping[str, Schema] = schema.get("properties", {})
    prefix = f"{field}." if field else ""
    for name in schema.get("required", ()):
        if name not in value:
            raise invalid(prefix + name, _("%(field)s is required.", field=prefix + name))
    extra = schema.get("additionalProperties", True)
    checked: dict[str, Any] = {}
    for name, item in value.items():
        if name in properties:
            checked[name] = validate(properties[name], item, prefix + name)
        elif extra is False:
            raise invalid(prefix + name, _("%(field)s is not expected here.", field=prefix + name))
        elif isinstance(extra, Mapping):
            checked[name] = validate(extra, item, prefix + name)
        else:
            checked[name] = item
    for name, sub in properties.items():
        if name not in checked and "default" in sub:
            checked[name] = deepcopy(sub["default"])
    return checked


def read_json(schema: Schema) -> dict[str, Any]:
    """Parse the request body as JSON and check it against an object schema.

    An empty body counts as `{}`, so a POST without input needs no body at all.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: Any = {}
    else:
        data = load_json(raw)
    if not isinstance(data, dict):
        raise invalid("body", _("The body must be a JSON object."))
    result: dict[str, Any] = validate(schema, data)
    return result


def _coerce(schema: Schema, raw: str, field: str) -> Any:
    if "$ref" in schema:
        schema = resolve_ref(schema["$ref"])
    types = schema.get("type", "string")
    names = [types] if isinstance(types, str) else list(types)
    if "integer" in names:
        if re.fullmatch(r"[+-]?\d{1,20}", raw.strip()):
            return int(raw)
        raise invalid(field, _("%(field)s must be an integer.", field=field))
    if "number" in names:
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise invalid(field, _("%(field)s must be a number.", field=field))
        return number
    if "boolean" in names:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise invalid(field, _("%(field)s must be true or false.", field=field))
    return raw


def read_query(schema: Schema) -> dict[str, Any]:
    """Check the query string against an object schema of scalar (or list) properties.

    Values are converted by the property's type; an empty value counts as absent;
    arguments the schema does not name are ignored.
    """
    properties: Mapping[str, Schema] = schema.get("properties", {})
    data: dict[str, Any] = {}
    for name, sub in properties.items():
        values = [v for v in request.args.getlist(name) if v != ""]
        if not values:
            continue
        if "$ref" in sub:
            sub = resolve_ref(sub["$ref"])
        if sub.get("type") == "array":
            items = sub.get("items", {})
            data[name] = [_coerce(items, v, f"{name}[{i}]") for i, v in enumerate(values)]
        else:
            data[name] = _coerce(sub, values[-1], name)
    result: dict[str, Any] = validate(schema, data)
    return result
