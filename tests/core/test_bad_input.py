"""Text the app cannot store, odd JSON and extreme dates are refused at the edge: 400, not 500.

And when a request's session is already broken, its error still comes back in the
format of the part of the app it went to, without the error handler touching the database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import g
from flask_login import current_user
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from points_app.accounts.models import Role, User
from points_app.core.audit import AuditEntry
from points_app.core.safe_input import is_acceptable_text
from points_app.extensions import db
from points_app.issues.models import Issue

BAD_TEXTS = ["\ud800", "a\udfffb", "a\x00b", "\x01", "\x1b[31m", "\x7f", "\x85", "\ufffe"]
GOOD_TEXTS = ["", "中文", "tab\tand\nlines\r\n", "\u200f\u202eRTL", "😀👍🏽", "x" * 10_000, "é"]
OPEN311 = "/open311/v2"


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("text", BAD_TEXTS)
def test_control_characters_surrogates_and_noncharacters_are_not_acceptable(text):
    assert not is_acceptable_text(text)


@pytest.mark.parametrize("text", GOOD_TEXTS)
def test_ordinary_text_rtl_marks_and_emoji_are_acceptable(text):
    assert is_acceptable_text(text)


@pytest.fixture
def clerk(tree, make_user) -> User:
    return make_user(Role.clerk, tree["community_a"])


@pytest.fixture
def committee(tree, make_user) -> User:
    return make_user(Role.committee, tree["community_a"])


API_POSTS = [
    ("/api/v1/auth/token", {"username": "{bad}", "password": "x"}),
    ("/api/v1/scan", {"code": "{bad}"}),
    ("/api/v1/checkins", {"code": "{bad}"}),
    ("/api/v1/redemptions", {"store_id": 1, "card": "{bad}", "lines": []}),
    ("/api/v1/redemptions/1/void", {"reason": "{bad}"}),
    ("/api/v1/issues", {"title": "{bad}", "category": "environment", "area_id": 1}),
    ("/api/v1/issues/1/transitions", {"to": "handling", "note": "{bad}"}),
    ("/api/v1/issues/1/evaluation", {"satisfaction": 5, "solved": True, "comment": "{bad}"}),
    ("/api/v1/transfers", {"from_account": 1, "to_account": 2, "amount": 1, "memo": "{bad}"}),
    ("/api/v1/transfers", {"{bad}": 1}),
]


def _with(body: dict[str, Any], bad: str) -> str:
    # json.dumps escapes a lone surrogate as \ud800 and NUL as \u0000, as a client would.
    return json.dumps(body).replace("{bad}", json.dumps(bad)[1:-1])


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b", "\x07"])
@pytest.mark.parametrize(("path", "body"), API_POSTS)
def test_api_posts_refuse_bad_text_in_json_with_invalid_text(
    client, api_headers, committee, path, body, bad
):
    before = _count(AuditEntry)
    headers = {**api_headers(committee), "Idempotency-Key": "k1"}
    response = client.post(path, data=_with(body, bad), headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "invalid_text"
    assert response.json["error"]["message"]
    assert _count(AuditEntry) == before


def test_surrogate_sent_as_raw_bytes_is_refused_too(client, api_headers, committee):
    # CESU-8 bytes of U+D800: Python's JSON reader would let them through as a surrogate.
    body = b'{"code": "\xed\xa0\x80"}'
    response = client.post("/api/v1/scan", data=body, headers=api_headers(committee))
    assert response.status_code == 400
    assert response.json["error"]["code"] in ("invalid_text", "validation_error")


def test_json_without_its_content_type_is_checked_as_well(client, api_headers, committee):
    response = client.post(
        "/api/v1/scan", data='{"code": "\\u0000"}', headers=api_headers(committee),
        content_type="text/plain",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_text"


def test_the_error_names_the_field(client, api_headers, committee):
    body = {"title": "ok", "category": "environment", "area_id": 1, "description": "\x00"}
    response = client.post("/api/v1/issues", json=body, headers=api_headers(committee))
    assert response.json["error"]["details"]["field"] == "description"


def test_api_json_nested_a_thousand_deep_is_a_400(client, api_headers, committee):
    body = "[" * 1000 + "]" * 1000
    response = client.post(
        "/api/v1/scan", data=body, headers=api_headers(committee), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_error"


def _open311_form(**extra: str) -> dict[str, str]:
    return {"jurisdiction_id": "S-a-g", "service_code": "environment", "description": "ok", **extra}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_post_refuses_bad_text_in_a_form_in_its_own_format(
    client, api_headers, committee, fmt
):
    form = _open311_form(description="垃圾\x00没人清运")
    response = client.post(f"{OPEN311}/requests.{fmt}", data=form, headers=api_headers(committee))
    assert response.status_code == 400
    if fmt == "json":
        assert response.json[0]["code"] == 400
    else:
        assert response.mimetype == "text/xml"
        assert b"<errors><error><code>400</code>" in response.data
    assert _count(Issue) == 0


@pytest.mark.parametrize("bad", ["\ud800", "\x00"])
def test_open311_post_refuses_bad_text_in_json(client, api_headers, committee, bad):
    body = _with(_open311_form(description="{bad}"), bad)
    response = client.post(
        f"{OPEN311}/requests.json", data=body, headers=api_headers(committee),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json[0]["code"] == 400
    assert _count(Issue) == 0


def test_open311_post_json_nested_a_thousand_deep_is_a_400(client, api_headers, committee):
    body = '{"description": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.post(
        f"{OPEN311}/requests.json", data=body, headers=api_headers(committee),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json[0]["code"] == 400


@pytest.mark.parametrize(
    "path", ["/people/households?q=a%00b", "/issues/?q=a%00b", "/login?next=%01", "/login?%00=1"]
)
def test_query_strings_with_control_characters_get_a_friendly_400_page(
    client, login_as, committee, path
):
    login_as(committee)
    response = client.get(path)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "contains a character that is not allowed" in response.get_data(as_text=True)


def test_form_fields_with_nul_are_refused_and_nothing_is_stored(client, login_as, committee, tree):
    login_as(committee)
    form = {"title": "路灯\x00不亮", "category": "environment", "area_id": str(tree["grid_a"].id)}
    response = client.post("/issues/new", data=form)
    assert response.status_code == 400
    assert "invalid_text" in response.get_data(as_text=True)
    assert _count(Issue) == 0


def test_open311_query_with_nul_answers_in_georeport_format(client):
    response = client.get(f"{OPEN311}/requests.xml?service_code=a%00b")
    assert response.status_code == 400
    assert response.mimetype == "text/xml"


@pytest.mark.parametrize(
    "query",
    [
        "start_date=0001-01-01T00:00:00%2B14:00",
        "end_date=9999-12-31T23:59:59-14:00",
        "start_date=0001-01-01",
        "end_date=9999-12-31",
        "start_date=2026-02-30",
    ],
)
def test_open311_extreme_dates_are_a_clear_400(client, query):
    response = client.get(f"{OPEN311}/requests.json?{query}")
    assert response.status_code == 400
    assert "between 1900-01-01 and 2100-12-31" in response.json[0]["description"]


@pytest.fixture
def store_id(tree, make_user) -> int:
    from points_app.store import services

    admin = make_user(Role.admin, tree["county"])
    store = services.create_store(community=tree["community_a"], name="超市", actor=admin)
    db.session.commit()
    return store.id


@pytest.mark.parametrize(
    "query",
    [
        "redemptions?from=0001-01-01&to=9999-12-31",
        "redemptions?from=9999-12-31",
        "redemptions?to=0001-01-01",
        "summary?day=0001-01-01",
        "summary?day=9999-12-31",
        "summary?day=not-a-day",
    ],
)
def test_store_pages_refuse_extreme_dates_with_a_message(client, login_as, clerk, store_id, query):
    login_as(clerk)
    response = client.get(f"/store/{store_id}/{query}")
    assert response.status_code == 400
    assert "between 1900-01-01 and 2100-12-31" in response.get_data(as_text=True)


def test_store_history_still_filters_by_ordinary_dates(client, login_as, clerk, store_id):
    login_as(clerk)
    response = client.get(f"/store/{store_id}/redemptions?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200


# --- a broken session ---------------------------------------------------------------------


@pytest.fixture
def broken_routes(app, committee):
    """Routes that break their session (a failed flush) and then crash, as a bug would.

    From the moment the session breaks, any statement sent to the database fails as if
    the server were gone: the error handler must get by without one.
    """
    app.config["PROPAGATE_EXCEPTIONS"] = False  # let the 500 handler answer, as in production
    refused: list[str] = []

    def _refuse(conn, cursor, statement, *args: Any) -> None:
        if g.get("db_down"):
            refused.append(statement)
            raise OperationalError(statement, {}, Exception("the database is gone"))

    def _break() -> Any:
        user = current_user._get_current_object()
        assert user.display_name  # loaded
        db.session.expire(user)  # as after a commit earlier in the request
        db.session.add(User(id=committee.id, username=committee.username, display_name="x"))
        try:
            db.session.flush()
        finally:
            g.db_down = True
        return "unreachable"

    for path in ("/api/v1/test/broken", "/test/broken", "/open311/v2/test/broken.xml"):
        app.add_url_rule(path, endpoint=path, view_func=_break, methods=["GET"])
    event.listen(db.engine, "before_cursor_execute", _refuse)
    yield refused
    event.remove(db.engine, "before_cursor_execute", _refuse)
    g.pop("db_down", None)


def test_api_error_is_json_when_the_session_is_broken(
    client, api_headers, committee, broken_routes
):
    response = client.get("/api/v1/test/broken", headers=api_headers(committee))
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server_error"
    assert broken_routes == []  # the handler sent nothing to the database


def test_open311_error_is_georeport_xml_when_the_session_is_broken(
    client, api_headers, committee, broken_routes
):
    response = client.get("/open311/v2/test/broken.xml", headers=api_headers(committee))
    assert response.status_code == 500
    assert response.mimetype == "text/xml"
    assert b"<code>500</code>" in response.data


def test_page_error_is_still_a_page_when_the_database_is_gone(
    client, login_as, committee, broken_routes
):
    login_as(committee)
    response = client.get("/test/broken")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_error_page_keeps_the_language_chosen_without_a_database(
    client, login_as, committee, broken_routes
):
    login_as(committee)
    client.set_cookie("lang", "zh")
    page = client.get("/test/broken").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page


def test_the_openapi_document_names_invalid_text_on_every_route(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "invalid_text" in operation["responses"]["400"]["description"], (method, path)
