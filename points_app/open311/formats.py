"""GeoReport v2 answers in JSON or XML, and its error format.

The XML follows the GeoReport v2 examples: a list is a root element (`services`,
`service_requests`, `errors`) holding one element per item (`service`, `request`,
`error`); a nested list holds singular children (`endpoints` → `endpoint`); an
empty value is an empty element.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from flask import Response

FORMATS = ("json", "xml")
# Element names: a list element and the name of each of its items.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, list):
        item_name = ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    """`data` (a list or a dict) as an XML document under a `root` element."""
    element = ET.Element(root)
    _fill(element, data)
    out: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return out


def render(data: Any, fmt: str, root: str, status: int = 200) -> Response:
    """Answer with `data` as JSON, or as XML under `root`."""
    if fmt == "xml":
        return Response(to_xml(root, data), status=status, mimetype="text/xml")
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


def error_response(status: int, description: str, fmt: str) -> Response:
    """A GeoReport error: `[{"code": 400, "description": "..."}]`, with that HTTP status."""
    return render([{"code": status, "description": description}], fmt, "errors", status)
