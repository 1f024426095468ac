"""No log line and no address the app hands out carries an ID number or a phone.

A representative set of requests (sign-in by phone, registering a household, the
audited views, look-ups by number, issues with a resident's phone, Open311, the API,
and forced database errors with a phone bound into the failing statement) runs while
every log record of the process is captured, SQL echo included; then every line is
scanned for ID numbers and Chinese phone numbers in any format.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.people.models import Household
from tests.conftest import PASSWORD
from tests.people.conftest import valid_id

ID_NUMBER = valid_id(7)
PHONE = "13905747788"
OTHER_PHONE = "13611112222"
LANDLINE = "0574-65557788"
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\uff0d()（）+.]")
LOOKS_LIKE_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
LOOKS_LIKE_MOBILE = re.compile(r"(?<!\d)(?:0086|86)?1[3-9]\d{9}(?!\d)")
LOOKS_LIKE_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[2-9]\d{6,7}(?!\d)")


def personal_numbers_in(line: str) -> list[str]:
    """ID numbers and phones in a line, whatever separators were typed between the digits."""
    compact = SEPARATORS.sub("", line)
    found = [p.findall(compact) for p in (LOOKS_LIKE_ID, LOOKS_LIKE_MOBILE, LOOKS_LIKE_LANDLINE)]
    return [n for group in found for n in group]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs() -> Iterator[_Collect]:
    handler = _Collect()
    root = logging.getLogger()
    engine_logger = logging.getLogger("sqlalchemy.engine")
    before = (root.level, engine_logger.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine_logger.setLevel(logging.INFO)  # as `echo=True`: every statement is logged
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(before[0])
        engine_logger.setLevel(before[1])


def _rolled_back(work: Any) -> Any:
    # Roll back before Flask logs the error and renders its page (as a unit of work does),
    # so that the error page does not meet an aborted PostgreSQL transaction.
    def view() -> str:
        try:
            work()
        except Exception:
            db.session.rollback()
            raise
        return "unreachable"

    return view


def _add_failing_routes(app: Flask) -> None:
    def duplicate_phone() -> None:
        # A unique phone twice: PostgreSQL's message quotes the duplicate key's value.
        for n in (1, 2):
            db.session.execute(
                text(
                    "INSERT INTO users (username, phone, display_name, password_hash, is_enabled,"
                    " created_at) VALUES (:u, :phone, 'x', 'x', true, CURRENT_TIMESTAMP)"
                ),
                {"u": f"dup{n}", "phone": OTHER_PHONE},
            )

    def bad_statement() -> None:
        db.session.execute(text("INSERT INTO no_such_table (phone) VALUES (:p)"), {"p": PHONE})

    duplicate_phone, bad_statement = _rolled_back(duplicate_phone), _rolled_back(bad_statement)

    app.add_url_rule("/_test/duplicate-phone", "dup_phone", duplicate_phone, methods=["POST"])
    app.add_url_rule("/_test/bad-statement", "bad_statement", bad_statement, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # let the app's 500 handler log it


def test_no_log_line_or_address_carries_an_id_number_or_a_phone(
    app, client, tree, make_user, login_as, api_headers, captured_logs
):
    _add_failing_routes(app)
    admin = make_user(Role.admin, tree["county"], phone=OTHER_PHONE[:-1] + "9")
    addresses: list[str] = []

    def call(method: str, url: str, **kwargs: Any) -> Any:
        response = client.open(url, method=method, **kwargs)
        addresses.append(f"{method} {url}")  # what an access log would write
        if "Location" in response.headers:
            addresses.append(response.headers["Location"])
        return response

    call("POST", "/login", data={"login": PHONE, "password": "wrong-password"})
    call("POST", "/login", data={"login": admin.phone, "password": PASSWORD})
    login_as(admin)
    created = call(
        "POST",
        "/households/new",
        data={
            "head_name": "王秀英", "members_count": "2", "address": "东谷路1号",
            "area_id": str(tree["community_a"].id), "category": "dibao",
            "id_number": ID_NUMBER, "phone": PHONE,
        },
    )  # fmt: skip
    assert created.status_code == 302, created.get_data(as_text=True)
    household = db.session.scalars(db.select(Household)).one()
    call("GET", f"/households/{household.id}/private")
    call("POST", "/households/find", data={"number": PHONE})
    call("POST", "/households/find", data={"number": ID_NUMBER})
    call("POST", "/households", data={"q": "139 0574 7788"})
    call("GET", "/households?q=%2B86%20139-0574-7788")
    call("POST", "/issues/", data={"q": PHONE})
    call("POST", "/store/cards", data={"q": ID_NUMBER})
    call(
        "POST",
        "/issues/new",
        data={
            "title": f"漏水 {PHONE}", "category": "environment", "area_id": str(tree["grid_a"].id),
            "description": f"王秀英 电话 +86 139-0574-7788，座机 {LANDLINE}，身份证 {ID_NUMBER}",
            "resident_name": "王秀英", "resident_phone": PHONE, "channel": "grid_visit",
        },
    )  # fmt: skip
    call("GET", "/open311/v2/requests.json")
    # Every report export the admin may download, as CSV: no number in any of them.
    from points_app.reports.sources import SOURCES

    exported: list[str] = []
    county = tree["county"].code
    for kind in sorted(SOURCES):
        got = call("GET", f"/reports/export/{kind}.csv?area={county}&period=year")
        assert got.status_code == 200, kind
        exported.append(got.get_data(as_text=True))
    assert any("王秀英" in text or "王*英" in text for text in exported)  # the issue is there
    call("POST", "/api/v1/auth/token", json={"username": PHONE, "password": "nope-nope"})
    call("GET", "/api/v1/issues", headers=api_headers(admin))
    assert call("POST", "/_test/duplicate-phone").status_code == 500
    db.session.rollback()
    assert call("POST", "/_test/bad-statement").status_code == 500
    db.session.rollback()

    logged = "\n".join(captured_logs.lines)
    # The scan saw the statements and both errors, so it would see what they carry.
    assert "INSERT INTO households" in logged
    assert "IntegrityError" in logged and "no_such_table" in logged
    lines = (
        captured_logs.lines + addresses + [row for text in exported for row in text.splitlines()]
    )
    leaks = {line: personal_numbers_in(line) for line in lines}
    assert {line: found for line, found in leaks.items() if found} == {}


def test_the_scanner_finds_numbers_in_any_format():
    for line in (
        f"x {ID_NUMBER} y", "330225 19500101 001X", "+86 139-0574-7788", "139 0574 7788",
        "(0574) 6555 7788", "8613905747788",
    ):  # fmt: skip
        assert personal_numbers_in(line), line
    assert personal_numbers_in("2026-12-01 07:14:33,123 took 1300 ms") == []


def test_a_log_line_holding_a_phone_is_scrubbed_when_it_is_made(app, captured_logs):
    logging.getLogger("gunicorn.access").info('"GET /households?q=%s HTTP/1.1" 200', PHONE)
    try:
        raise ValueError(f"bad value {ID_NUMBER}")
    except ValueError:
        logging.getLogger("points_app").exception("failed for %s", "139 0574 7788")

    logged = "\n".join(captured_logs.lines)
    assert "bad value" in logged and "failed for" in logged
    assert personal_numbers_in(logged) == []
