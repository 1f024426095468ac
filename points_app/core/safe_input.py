"""Text that the app may store and serve back: checked once, at the edge of every request.

A text is acceptable when every character is one that XML 1.0 allows and that is not a
control character: tab, line feed and carriage return, printable characters, and every
other code point except the C0/C1 controls, DEL, lone UTF-16 surrogates and U+FFFE/FFFF.
SQLite would store a NUL and serve it back (also in Open311's XML), PostgreSQL refuses it
with a server error, and a lone surrogate cannot be encoded at all, so the two databases
would disagree; refusing them here, before any view runs, makes every route behave alike:
400 `invalid_text`, nothing stored.

`check_request` (a before-request hook) reads the query string, the form (fields, keys
and file names), the URL's own variables, the `Idempotency-Key` header and a JSON body.
`load_json` is the one strict JSON reader (no NaN, a bounded depth, only acceptable text)
used by the request hook, by the API's `read_json` and, as the app's JSON provider, by
`request.get_json`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from points_app.core.errors import DomainError

# Everything outside: tab, LF, CR, printable ASCII, U+00A0..U+D7FF, U+E000..U+FFFD, astral.
_DISALLOWED = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_JSON_DEPTH = 32
# Bodies under these prefixes are JSON whatever their Content-Type says (read_json reads
# the raw body), so they are checked as JSON too.
JSON_PREFIXES = ("/api/", "/open311/")
CHECKED_HEADERS = ("Idempotency-Key",)


def _names_fields() -> bool:
    return not has_request_context() or request.path.startswith(JSON_PREFIXES)


class InvalidText(DomainError):
    """A text holds a character the app does not accept: 400 `invalid_text`."""

    def __init__(self, field: str):
        super().__init__(
            "invalid_text",
            _(
                "%(field)s contains a character that is not allowed (a control character, "
                "or half of an emoji). Retype it and try again.",
                # A page's visitor knows no parameter names; a client's developer does.
                field=field if field and _names_fields() else _("The text"),
            ),
            status=400,
            field=field or "body",
        )


class JsonSyntaxError(DomainError):
    """The body is not JSON at all: 400 `validation_error`."""

    def __init__(self) -> None:
        super().__init__(
            "validation_error", _("The body is not valid JSON."), status=400, field="body"
        )


def is_acceptable_text(value: str) -> bool:
    """True when the text holds no control character, surrogate or non-character."""
    return _DISALLOWED.search(value) is None


def check_texts(pairs: Iterable[tuple[str, str]]) -> None:
    """Raise `invalid_text` for the first (name, value) whose name or value is unacceptable."""
    for name, value in pairs:
        if not is_acceptable_text(name):
            raise InvalidText("")
        if not is_acceptable_text(value):
            raise InvalidText(name)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json_value(data: Any) -> None:
    """Walk decoded JSON (without recursion): every key and string acceptable, depth bounded."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, field, depth = stack.pop()
        if isinstance(value, str):
            if not is_acceptable_text(value):
                raise InvalidText(field)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise DomainError(
                "validation_error",
                _("The JSON is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH),
                status=400,
                field=field or "body",
            )
        if isinstance(value, dict):
            prefix = f"{field}." if field else ""
            for key, item in value.items():
                if not is_acceptable_text(key):
                    raise InvalidText(field)
                stack.append((item, prefix + key, depth + 1))
        else:
            stack.extend((item, f"{field}[{i}]", depth + 1) for i, item in enumerate(value))


def load_json(raw: str | bytes) -> Any:
    """Parse JSON strictly: `JsonSyntaxError`, `invalid_text` or too deep, never a 500."""
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # RecursionError: nested deeper than the interpreter's stack (a ~1,000-deep body).
        raise JsonSyntaxError() from None
    check_json_value(data)
    return data


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading with `load_json` (so `request.get_json` is strict too)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


def _is_form() -> bool:
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


def _json_body() -> bytes | None:
    if _is_form() or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if not (request.is_json or request.path.startswith(JSON_PREFIXES)):
        return None
    raw = request.get_data(cache=True)
    return raw if raw.strip() else None


def check_request() -> None:
    """Before every request: refuse unacceptable text anywhere the app reads it (400)."""
    check_texts(request.args.items(multi=True))
    check_texts((name, str(value)) for name, value in (request.view_args or {}).items())
    check_texts((name, request.headers.get(name, "")) for name in CHECKED_HEADERS)
    if _is_form():
        check_texts(request.form.items(multi=True))
        check_texts((name, file.filename or "") for name, file in request.files.items(multi=True))
    raw = _json_body()
    if raw is not None:
        # Not JSON at all: the handler that reads the body says so in its own words.
        with contextlib.suppress(JsonSyntaxError):
            load_json(raw)


def install_input_checks(app: Flask) -> None:
    """Make the app read JSON strictly and check every request's text before any view."""
    app.json = StrictJSONProvider(app)
    # First of the app's own hooks, so no view, API token check or login sees bad text.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
