"""Signed QR tokens."""

from __future__ import annotations

import pytest

from points_app.core import qr
from points_app.core.errors import DomainError


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


def test_qr_svg_renders(app):
    assert qr.svg("http://127.0.0.1/q/abc").lstrip().startswith("<?xml")


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
