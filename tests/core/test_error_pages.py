"""No URL, however odd, gives a server error; errors and pages speak the chosen language.

The crawl walks the app's own URL map, so routes that other features add later are
covered without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from werkzeug.routing.converters import NumberConverter

from points_app import create_app
from points_app.accounts.models import Role, RoleAssignment
from points_app.config import TestConfig, normalise_database_url
from points_app.extensions import db

GARBAGE_PATHS = [
    "/does-not-exist",
    "/%ff",
    "/%00",
    "/%E4%B8%AD",
    "/社区/说事",
    "/..%2f..%2fetc%2fpasswd",
    "/static/../../etc/passwd",
    "/static/%2e%2e/pyproject.toml",
    "/" + "x" * 4000,
    "/users/99999999999999999999999999",
    "/users/-1",
    "/users/0",
    "/areas/99999999999999999999/edit",
    "/areas/abc/edit",
    "/lang/xx",
    "/lang/en?next=//evil.example/",
    "/lang/en?next=javascript:alert(1)",
    "/login?next=https://evil.example/",
    "/?lang=<script>alert(1)</script>",
    "/login?lang=%00",
    "/api/v1/does-not-exist",
    "/api/v1/accounts/99999999999999999999999",
    "/q/not-a-token",
    "/q/" + "A" * 3000,
    "/q/%00%ff",
    "/healthz/extra",
    "/index.php?id=1' OR '1'='1",
]

# Values put into each URL rule's variables: the edges of ints, and nasty strings.
INT_VALUES = ["0", "1", "2147483648", "9223372036854775808", "99999999999999999999999999"]
STRING_VALUES = ["x", "%00", "..%2f..", "%3Cscript%3E", "中文", "A" * 600]
SKIP_ENDPOINTS = {"static"}


def _rule_paths(app: Flask) -> Iterator[tuple[str, str]]:
    """Yield (method, path) for every rule, with each variable filled with odd values."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        converters = dict(rule._converters)  # name -> converter
        if not converters:
            candidates = [rule.rule]
        else:
            candidates = []
            for index in range(len(INT_VALUES)):
                path = rule.rule
                for name, converter in converters.items():
                    numeric = isinstance(converter, NumberConverter)
                    values = INT_VALUES if numeric else STRING_VALUES
                    value = values[index % len(values)]
                    path = re.sub(r"<[^>]*\b" + re.escape(name) + r">", value, path)
                candidates.append(path)
        for path in candidates:
            for method in methods:
                yield method, path


def _assert_not_a_server_error(response: Any, method: str, path: str) -> None:
    assert response.status_code < 500, f"{method} {path[:120]} gave {response.status_code}"
    if path.startswith("/api/") and response.status_code >= 400:
        body = response.get_json()
        assert body and "code" in body["error"] and "message" in body["error"], path


def _hit(client: FlaskClient, method: str, path: str) -> Any:
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"garbage": "\x00" * 3, "id": "-1", "amount": "1e999"})


@pytest.fixture
def zh_client(app: Flask, db_url: str) -> Iterator[FlaskClient]:
    """A client of an app with the production default language (Chinese)."""

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = normalise_database_url(db_url)
        BABEL_DEFAULT_LOCALE = "zh"

    zh_app = create_app(Cfg)
    yield zh_app.test_client()
    with zh_app.app_context():
        db.session.remove()
        db.engine.dispose()


def _zh(app_client: FlaskClient, message: str) -> str:
    with app_client.application.test_request_context("/?lang=zh"), force_locale("zh"):
        return gettext(message)


def _html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, "no <html lang> on the page"
    return match.group(1)


NOT_FOUND = "This page does not exist, or you may not see it."


def test_garbage_urls_never_give_a_server_error_when_signed_out(client):
    for path in GARBAGE_PATHS:
        for method in ("GET", "POST"):
            _assert_not_a_server_error(_hit(client, method, path), method, path)


def test_garbage_urls_never_give_a_server_error_when_signed_in(client, tree, make_user, login_as):
    admin = make_user(Role.admin, tree["county"])
    login_as(admin)
    for path in GARBAGE_PATHS:
        _assert_not_a_server_error(client.get(path), "GET", path)


def test_every_route_with_odd_values_never_gives_a_server_error(
    app, client, tree, make_user, login_as
):
    # One user holding every role, so every page is reachable past its permission check.
    admin = make_user(Role.admin, tree["county"], username="admin")
    for role in Role:
        if role is not Role.admin:
            db.session.add(RoleAssignment(user=admin, role=role, area=tree["community_a"]))
    db.session.commit()
    hits = 0
    for signed_in in (False, True):
        if signed_in:
            login_as(admin)
        for method, path in _rule_paths(app):
            if signed_in and path == "/logout":
                continue
            _assert_not_a_server_error(_hit(client, method, path), method, path)
            hits += 1
    assert hits > 20


def test_error_page_is_in_chinese_by_default(zh_client):
    response = zh_client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert _html_lang(page) == "zh-CN"
    assert _zh(zh_client, NOT_FOUND) in page


def test_error_page_is_in_english_when_asked(zh_client):
    response = zh_client.get("/no-such-page?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert _html_lang(page) == "en"
    assert NOT_FOUND in page


def test_api_errors_are_json_not_html(zh_client):
    response = zh_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_default_language_is_chinese(zh_client):
    page = zh_client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "zh-CN"
    assert _zh(zh_client, "Sign in") in page


def test_language_switch_sets_a_cookie_and_pages_follow_it(zh_client):
    response = zh_client.get("/lang/en?next=/login")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("lang=en")
    assert "Max-Age=" in cookie and "SameSite=Lax" in cookie

    page = zh_client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "Sign in" in page
    assert "中文" in page  # the way back

    zh_client.get("/lang/zh")
    page = zh_client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "zh-CN"


def test_unknown_language_is_ignored(zh_client):
    response = zh_client.get("/lang/xx")
    assert response.status_code == 302
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    assert _html_lang(zh_client.get("/login?lang=xx").get_data(as_text=True)) == "zh-CN"
