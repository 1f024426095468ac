"""Masking of personal data, character by character at its edges; domain errors' shape."""

from __future__ import annotations

import pytest

from points_app.core.errors import DomainError, Forbidden, NotFound
from points_app.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("330225195001011234", "3302**********1234"),
        ("123456789", "1234*6789"),  # the shortest that shows anything
        ("12345678", "********"),  # eight or fewer: nothing shown
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_an_id_number_shows_only_its_first_and_last_four(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("12345678", "123*5678"),  # the shortest that shows anything
        ("1234567", "*******"),  # seven or fewer: nothing shown
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_number_shows_only_its_first_three_and_last_four(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三丰", "张**"), ("王英", "王*"), ("张", "张*"), ("Li", "L*"), ("", ""), (None, "")],
)
def test_a_name_keeps_only_its_first_character(value, masked):
    assert mask_name(value) == masked


def test_a_domain_error_carries_code_message_status_and_details():
    error = DomainError("insufficient_points", "Not enough", 409, missing=3)
    assert (error.code, error.message, error.status, str(error)) == (
        "insufficient_points", "Not enough", 409, "Not enough",
    )  # fmt: skip
    assert error.to_dict() == {
        "error": {"code": "insufficient_points", "message": "Not enough", "details": {"missing": 3}}
    }


def test_a_domain_error_without_details_has_no_details_key_and_defaults_to_409():
    error = DomainError("duplicate", "Already there")
    assert error.status == 409 and error.details == {}
    assert error.to_dict() == {"error": {"code": "duplicate", "message": "Already there"}}


def test_a_lazy_message_is_sent_as_text(app):
    from flask_babel import lazy_gettext

    with app.test_request_context():
        body = DomainError("x", lazy_gettext("This store is closed."), 409).to_dict()
    assert body["error"]["message"] == "This store is closed."
    assert type(body["error"]["message"]) is str


def test_not_found_and_forbidden_have_their_codes_statuses_and_default_messages():
    assert (NotFound().code, NotFound().status, NotFound().message) == (
        "not_found", 404, "Not found",
    )  # fmt: skip
    assert NotFound("No such store").message == "No such store"
    assert (Forbidden().code, Forbidden().status, Forbidden().message) == (
        "forbidden", 403, "You may not do this",
    )  # fmt: skip
    assert Forbidden("No").to_dict() == {"error": {"code": "forbidden", "message": "No"}}
