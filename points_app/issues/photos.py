"""Issue photos: check that an upload is a real image, strip its metadata, store it.

`prepare_photo` reads and checks the upload and stores nothing; the service adds the
rows; the caller writes the files with `write_photo_files` only after the commit.
Re-encoding drops EXIF data, so a phone's GPS position of a resident's home is not kept.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from points_app.core.errors import DomainError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PHOTOS_PER_ISSUE = 6
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked, re-encoded image waiting to be stored under a random name."""

    data: bytes
    content_type: str
    width: int
    height: int
    filename: str = field(default="")


def max_bytes() -> int:
    """The largest photo accepted, in bytes."""
    return int(current_app.config.get("ISSUE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def photo_dir() -> Path:
    """Where photos are kept: ISSUE_PHOTO_DIR, or `issue_photos` in the instance folder."""
    configured = current_app.config.get("ISSUE_PHOTO_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "issue_photos"


def _not_an_image() -> DomainError:
    return DomainError(
        "not_an_image", _l("This file is not a photo. Use a JPEG, PNG or WebP image."), 422
    )


def prepare_photo(upload: IO[bytes] | bytes) -> PreparedPhoto:
    """Read an upload, refuse it unless it is a JPEG/PNG/WebP within the size limit."""
    limit = max_bytes()
    raw = upload if isinstance(upload, bytes) else upload.read(limit + 1)
    if len(raw) > limit:
        raise DomainError(
            "photo_too_large",
            _l("The photo is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            422,
        )
    if not raw:
        raise _not_an_image()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format or ""
                if fmt not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                    raise _not_an_image()
                probe.verify()
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                out = io.BytesIO()
                if fmt == "JPEG":
                    upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                else:
                    upright.save(out, fmt)
                width, height = upright.size
    except DomainError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise _not_an_image() from None
    content_type, ext = FORMATS[fmt]
    return PreparedPhoto(
        data=out.getvalue(),
        content_type=content_type,
        width=width,
        height=height,
        filename=f"{secrets.token_hex(16)}.{ext}",
    )


def write_photo_files(photos: Iterable[PreparedPhoto]) -> None:
    """Write prepared photos to the photo folder (call after the commit)."""
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        target = folder / photo.filename
        temporary = folder / (photo.filename + ".part")
        temporary.write_bytes(photo.data)
        os.replace(temporary, target)


def delete_photo_files(filenames: Iterable[str]) -> None:
    """Remove stored photo files, ignoring ones already gone."""
    folder = photo_dir()
    for name in filenames:
        (folder / Path(name).name).unlink(missing_ok=True)


def stored_path(filename: str) -> Path:
    """The path of a stored photo (the name is ours, never the uploader's)."""
    return photo_dir() / Path(filename).name
