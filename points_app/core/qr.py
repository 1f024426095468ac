"""Signed QR codes: a URL of this app carrying a short HMAC-signed token.

A token reads `<kind>.<id>[.<extra>].<signature>`: `e` event (extra: rotation
window), `h` household card (extra: card version), `p` person card (extra: card
version). Any phone camera opens the URL; an edited or forged token fails the
signature check and is refused before anything is looked up.
"""

from __future__ import annotations

import hmac
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import qrcode
import qrcode.image.svg
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer

from points_app.core.errors import DomainError

KINDS = {"e": "event", "h": "household", "p": "person"}
ROTATION_SECONDS = 30
PREFIX = "/q/"


@dataclass(frozen=True)
class ScannedCode:
    """What a verified token says: its kind, the object id and the extra number."""

    kind: str
    object_id: int
    extra: int | None
    token: str


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="points-qr", sep=".")


def sign(kind: str, object_id: int, extra: int | None = None) -> str:
    """Return a signed token for an object of a kind ('event', 'household', 'person')."""
    letter = next(k for k, v in KINDS.items() if v == kind)
    body = f"{letter}.{object_id}" + (f".{extra}" if extra is not None else "")
    return _signer().sign(body).decode()


def code_url(token: str) -> str:
    """The absolute URL a QR code carries for a token."""
    return url_for("core.scan_landing", token=token, _external=True)


def current_window(now: float | None = None) -> int:
    """The number of the 30-second window a rotating event code belongs to."""
    return int((time.time() if now is None else now) // ROTATION_SECONDS)


def extract_token(text: str) -> str:
    """Take the token out of whatever was scanned: a URL of this app or a bare token."""
    text = (text or "").strip()
    if "://" in text or text.startswith("/"):
        path = unquote(urlsplit(text).path)
        if PREFIX not in path:
            return ""
        # The token is what follows the last PREFIX (a token never holds a "/"), also when
        # the app is served under a path that has one too.
        text = path.rsplit(PREFIX, 1)[1].strip("/")
    return text


def verify(text: str) -> ScannedCode:
    """Check a scanned code's signature and parse it; raise `invalid_code` if it fails."""
    token = extract_token(text)
    if not token or len(token) > 200:
        raise _invalid()
    signer = _signer()
    try:
        body = signer.unsign(token).decode()
    except (BadSignature, UnicodeDecodeError):
        raise _invalid() from None
    # Base64's spare bits let other spellings of the same signature pass `unsign`: accept
    # only the one `sign` writes, so exactly one string verifies.
    if not hmac.compare_digest(signer.sign(body).decode(), token):
        raise _invalid()
    parts = body.split(".")
    if parts[0] not in KINDS or len(parts) not in (2, 3):
        raise _invalid()
    try:
        numbers = [int(p) for p in parts[1:]]
    except ValueError:
        raise _invalid() from None
    return ScannedCode(
        kind=KINDS[parts[0]],
        object_id=numbers[0],
        extra=numbers[1] if len(numbers) > 1 else None,
        token=token,
    )


def _invalid() -> DomainError:
    return DomainError(
        "invalid_code",
        _l("This code is not one of ours, or it is damaged. Ask the organiser for the right one."),
        status=400,
    )


def svg(data: str, box_size: int = 10) -> str:
    """Render data as a QR code in SVG (small and sharp on any screen or printer)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=box_size,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


def png(data: str, box_size: int = 8) -> bytes:
    """Render data as a QR code in PNG."""
    image = qrcode.make(data, box_size=box_size, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


_landings: dict[str, Callable[[ScannedCode], Any]] = {}


def register_landing(kind: str, handler: Callable[[ScannedCode], Any]) -> None:
    """Say which view answers when a phone opens a code of this kind."""
    _landings[kind] = handler


def landing_for(kind: str) -> Callable[[ScannedCode], Any] | None:
    """The view registered for a kind of code, if any."""
    return _landings.get(kind)
