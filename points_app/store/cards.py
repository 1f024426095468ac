"""Household QR cards: the code each card carries, drawn fast enough to print a thousand.

A card holds the signed URL of the household's current card version and shows the
household's public number; no name, no ID number, no phone.
"""

from __future__ import annotations

import functools

import zxingcpp
from markupsafe import Markup

from points_app.core import qr
from points_app.people.models import Household
from points_app.store.services import household_card_token

QUIET_ZONE = 2


def card_url(household: Household) -> str:
    """The URL the household's current card carries."""
    return qr.code_url(household_card_token(household))


@functools.lru_cache(maxsize=4096)
def qr_svg(data: str) -> Markup:
    """Draw `data` as a QR code: one SVG path of horizontal runs, sized by its container.

    zxing-cpp encodes in C++ (about a millisecond a code, with the proper mask choice);
    the result is cached by its text, which holds the household id and card version, so
    a reprint costs nothing and a replaced card gets a fresh code.
    """
    image = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=1, add_quiet_zones=False
    )
    height, width = image.shape
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]
    parts: list[str] = []
    for y in range(height):
        row = pixels[y * width : (y + 1) * width]
        x = 0
        while x < width:
            if row[x] == 0:  # dark module
                start = x
                while x < width and row[x] == 0:
                    x += 1
                parts.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h{start - x}z")
            else:
                x += 1
    size = width + 2 * QUIET_ZONE
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img"><rect width="{size}" height="{size}" '
        f'fill="#fff"/><path fill="#000" d="{"".join(parts)}"/></svg>'
    )
