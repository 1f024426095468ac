"""Uploaded pictures: a photo of a card to read its QR code, a product photo to keep.

Both refuse what is not a JPEG, PNG or WebP picture, files over the size limit, and
pictures of absurd dimensions (decompression bombs), before decoding any pixels.
"""

from __future__ import annotations

import io
import warnings

import zxingcpp
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from points_app.core.errors import DomainError

MAX_UPLOAD_BYTES = 6 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
SCAN_MAX_SIDE = 1600
PHOTO_MAX_SIDE = 600


def _refuse(message: object) -> DomainError:
    return DomainError("invalid_upload", message, 400)  # type: ignore[arg-type]


def open_picture(data: bytes) -> Image.Image:
    """Open an uploaded picture after checking its size, type and dimensions."""
    if not data:
        raise _refuse(_l("Choose a photo first."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(
            "upload_too_large",
            _l("The photo is too large (at most %(mb)s MB).", mb=MAX_UPLOAD_BYTES // 2**20),
            413,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise _refuse(_l("Upload a photo (JPEG, PNG or WebP)."))
            width, height = image.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise _refuse(_l("The photo's dimensions are too large."))
            image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # fmt: skip
        raise _refuse(_l("Upload a photo (JPEG, PNG or WebP).")) from None
    return ImageOps.exif_transpose(image) or image


def read_qr_text(data: bytes) -> str:
    """Return the text of the QR code in a photo, or refuse when none can be read."""
    image = open_picture(data).convert("L")
    image.thumbnail((SCAN_MAX_SIDE, SCAN_MAX_SIDE))
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    for barcode in found:
        if barcode.valid and barcode.text:
            return str(barcode.text)
    raise DomainError(
        "no_code_found",
        _l(
            "No QR code could be read in this photo. Hold the card flat, fill the frame, try again."
        ),
        422,
    )


def prepare_photo(data: bytes) -> bytes:
    """Shrink a product photo and re-encode it as JPEG (dropping any metadata)."""
    image = open_picture(data).convert("RGB")
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()
