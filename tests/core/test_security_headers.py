"""Every response carries the security headers, and no page needs an inline script or style.

The walk covers each GET route of the URL map (so new pages are checked without editing
this file), signed in as the admin over the demo data, plus a few error and static answers.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from werkzeug.routing.converters import AnyConverter

from points_app import create_app
from points_app.config import TestConfig, normalise_database_url
from points_app.core.security_headers import CONTENT_SECURITY_POLICY
from points_app.extensions import db
from tests.core.test_fuzz_routes import _fill, _routes, _sign_in, world  # noqa: F401

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _assert_headers(response, what: str) -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, f"{what}: {name} is {headers.get(name)!r}"
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, what
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'unsafe-inline'" not in script_src.group(1), what
    assert "'unsafe-eval'" not in csp, what  # 'wasm-unsafe-eval' compiles WebAssembly only
    assert "camera=(self)" in headers.get("Permissions-Policy", ""), what
    assert "Strict-Transport-Security" not in headers, f"{what}: HSTS outside production"


class _InlineCode(HTMLParser):
    """Inline scripts, on*= handlers, javascript: links and style attributes in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and "src" not in a and a.get("type") != "application/json":
            self._script_without_src = True
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_data(self, data: str) -> None:
        if self._script_without_src and data.strip():
            self.found.append("<script> with a body")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_without_src = False


def test_every_get_route_answers_with_the_security_headers_and_no_inline_code(
    app,
    client,
    world,  # noqa: F811
):
    pages = 0
    for rule, method in _routes(app):
        if method != "GET" or rule.endpoint == "core.set_language":
            continue
        path = _fill(
            rule,
            {
                n: "json" if isinstance(c, AnyConverter) else "1"
                for n, c in rule._converters.items()
            },
        )
        for role in (None, "admin"):
            _sign_in(client, world, role)
            response = client.get(path)
            _assert_headers(response, f"{role} GET {path}")
            if response.status_code == 200 and response.mimetype == "text/html":
                parser = _InlineCode()
                parser.feed(response.get_data(as_text=True))
                assert parser.found == [], f"{path}: {parser.found}"
                pages += 1
    assert pages > 40


@pytest.mark.parametrize(
    "path", ["/static/js/page.js", "/static/css/app.css", "/no-such-page", "/api/v1/nothing",
             "/open311/v2/nothing.xml", "/login"],
)  # fmt: skip
def test_static_files_errors_and_api_answers_carry_the_headers_too(client, path):
    response = client.get(path)
    _assert_headers(response, path)
    response.close()


def test_templates_hold_no_inline_script_handler_or_style():
    offending = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"javascript:",
                        r"\sstyle\s*=", r"<style"):  # fmt: skip
            offending += [f"{template.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offending == []


def test_production_adds_hsts(db_url):
    class Production(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(db_url)
        HSTS_SECONDS = 31_536_000

    production = create_app(Production)
    response = production.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    with production.app_context():
        db.engine.dispose()


def test_the_policy_allows_no_inline_script_and_no_framing():
    assert "script-src 'self' 'wasm-unsafe-eval';" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
