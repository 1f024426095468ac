"""Signed QR tokens."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine

from points_app.core import qr
from points_app.core.errors import DomainError
from tests.qrcodes import decode_svg, read_svg, svg_modules


def test_signed_token_round_trips(app):
    with app.test_request_context():
        token = qr.sign("household", 17, 3)
        scanned = qr.verify(qr.code_url(token))
    assert (scanned.kind, scanned.object_id, scanned.extra) == ("household", 17, 3)


def test_bare_token_is_accepted(app):
    with app.test_request_context():
        token = qr.sign("event", 5)
        assert qr.verify(token).object_id == 5


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("h.17.3", "h.18.3"),
        lambda t: t.replace("h.17.3", "h.17.4"),
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "h.17.3",
        lambda t: "",
        lambda t: "https://elsewhere.example/x/" + t,
        lambda t: "x" * 500,
    ],
)
def test_forged_or_altered_code_is_refused(app, tamper):
    with app.test_request_context():
        token = qr.sign("household", 17, 3)
        with pytest.raises(DomainError) as info:
            qr.verify(tamper(token))
    assert info.value.code == "invalid_code"


def test_code_signed_with_another_key_is_refused(app):
    with app.test_request_context():
        token = qr.sign("event", 1)
        app.config["SECRET_KEY"] = "another"
        with pytest.raises(DomainError):
            qr.verify(token)


def test_landing_refuses_a_forged_code_with_a_clear_page(client):
    response = client.get("/q/e.1.forged")
    assert response.status_code == 400
    assert "not one of ours" in response.get_data(as_text=True)


def test_qr_svg_draws_a_code_that_reads_back_as_the_url(app):
    url = "http://127.0.0.1/q/e.12.345.signature"
    svg = qr.svg(url)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    side, dark = svg_modules(svg)
    # A quiet border of 2 modules all round is left blank.
    assert all(2 <= x < side - 2 and 2 <= y < side - 2 for x, y in dark)
    # The three finder squares' corners are dark.
    assert {(2, 2), (side - 3, 2), (2, side - 3)} <= dark
    assert decode_svg(svg) == [url]


def test_qr_svg_of_other_data_draws_another_code(app):
    one = svg_modules(qr.svg("http://127.0.0.1/q/a"))
    other = svg_modules(qr.svg("http://127.0.0.1/q/b"))
    assert one != other
    assert decode_svg(qr.svg("http://127.0.0.1/q/b")) == ["http://127.0.0.1/q/b"]


def test_qr_png_reads_back_as_the_data(app):
    from points_app.store.images import read_qr_text

    assert read_qr_text(qr.png("http://127.0.0.1/q/h.3.1.sig")) == "http://127.0.0.1/q/h.3.1.sig"


@pytest.mark.parametrize("kind", ["household", "event", "person"])
def test_only_the_canonical_spelling_of_a_token_verifies(app, kind):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    with app.test_request_context():
        for object_id in range(1, 40):
            token = qr.sign(kind, object_id, 3)
            accepted = []
            for letter in alphabet:
                candidate = token[:-1] + letter
                try:
                    qr.verify(candidate)
                except DomainError as error:
                    assert error.code == "invalid_code"
                else:
                    accepted.append(candidate)
            assert accepted == [token]


def test_a_code_url_is_absolute_and_leads_to_the_landing(app):
    with app.test_request_context():
        assert qr.code_url("e.1.sig") == "http://localhost/q/e.1.sig"


def test_a_rotation_window_is_thirty_seconds_counted_from_the_epoch(app):
    assert [qr.current_window(t) for t in (0, 29.99, 30, 59.9, 60)] == [0, 0, 1, 1, 2]
    assert isinstance(qr.current_window(45.5), int)
    with time_machine.travel(dt.datetime.fromtimestamp(3_000_015, dt.UTC), tick=False):
        assert qr.current_window() == 100_000


def test_a_damaged_code_is_refused_with_a_400_and_a_plain_message(app):
    with pytest.raises(DomainError) as refused:
        qr.verify("not a code at all")
    assert (refused.value.code, refused.value.status) == ("invalid_code", 400)
    with app.test_request_context():
        assert str(refused.value.message) == (
            "This code is not one of ours, or it is damaged. Ask the organiser for the right one."
        )


def test_the_svg_is_drawn_at_its_box_size_with_medium_error_correction(app):
    url = "http://127.0.0.1/q/h.3.1.sig"
    side, _dark = svg_modules(qr.svg(url))
    assert f'width="{side}mm"' in qr.svg(url)  # 10 px boxes: 1 mm a module
    assert f'width="{2 * side}mm"' in qr.svg(url, box_size=20)
    (barcode,) = read_svg(qr.svg(url))
    assert barcode.ec_level == "M"


def test_the_png_has_eight_pixel_boxes_and_a_two_module_border(app):
    from PIL import Image

    url = "http://127.0.0.1/q/h.3.1.sig"
    side, _dark = svg_modules(qr.svg(url))  # modules plus the same 2-module border
    assert Image.open(io.BytesIO(qr.png(url))).size == (8 * side, 8 * side)
    assert Image.open(io.BytesIO(qr.png(url, box_size=4))).size == (4 * side, 4 * side)


def test_the_token_is_taken_out_of_every_form_a_scanner_hands_over(app):
    with app.test_request_context():
        token = qr.sign("event", 5)
        assert qr.extract_token(token) == token
        assert qr.extract_token(f"  {token}\n") == token
        assert qr.extract_token(f"/q/{token}") == token  # a path without the host
        assert qr.extract_token(f"https://example.org/q/{token}/") == token  # trailing slash
        # Served under a path that has /q/ too: the token follows the last one.
        assert qr.extract_token(f"https://example.org/q/app/q/{token}") == token
        assert qr.verify(f"https://example.org/q/app/q/{token}").object_id == 5


@pytest.mark.parametrize("scanned", ["", None, "   ", "https://example.org/other/page", "/help"])
def test_nothing_scanned_or_a_url_of_another_page_gives_no_token(app, scanned):
    assert qr.extract_token(scanned) == ""
    with pytest.raises(DomainError) as refused:
        qr.verify(scanned)
    assert refused.value.code == "invalid_code"


def test_a_registered_landing_answers_for_its_kind_of_code(app):
    def handler(scanned):
        return scanned

    qr.register_landing("test-kind", handler)
    try:
        assert qr.landing_for("test-kind") is handler
    finally:
        qr._landings.pop("test-kind")
    assert qr.landing_for("test-kind") is None


def test_a_code_of_200_characters_is_read_and_a_longer_one_refused_unread(app):
    with app.test_request_context():
        room = 200 - len(qr.sign("household", 1, 1))  # each digit more is one character more
        longest = int("1" * (1 + room))
        token = qr.sign("household", longest, 1)
        assert len(token) == 200
        assert qr.verify(token).object_id == longest
        too_long = qr.sign("household", int("1" * (2 + room)), 1)  # signed, but 201 long
        assert len(too_long) == 201
        with pytest.raises(DomainError) as refused:
            qr.verify(too_long)
        assert refused.value.code == "invalid_code"


@pytest.mark.parametrize("body", ["h.1.2.3", "h", "z.1", "z.1.2", "e.x"])
def test_a_signed_body_of_the_wrong_shape_is_refused_with_a_400(app, body):
    with app.test_request_context():
        token = qr._signer().sign(body).decode()  # signed with our key, but not by `sign`
        with pytest.raises(DomainError) as refused:
            qr.verify(token)
    assert (refused.value.code, refused.value.status) == ("invalid_code", 400)


def test_a_verified_code_carries_the_token_it_was_read_from(app):
    with app.test_request_context():
        token = qr.sign("person", 9)
        assert qr.verify(qr.code_url(token)).token == token
