"""Checks of personal identifiers shared by the services and the forms."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from flask_babel import lazy_gettext as _l

from points_app.core.errors import DomainError

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# A mobile number, or a landline with its area code (0574-65812345 or 057465812345).
CONTACT_PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def _normalise(value: str | None) -> str:
    """Full-width digits and letters typed with a Chinese input method become plain ones."""
    return unicodedata.normalize("NFKC", value or "")


def id_check_char(first17: str) -> str:
    """The check character (GB 11643) of the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def clean_id_number(value: str | None) -> str | None:
    """Return a valid 18-character ID number in upper case, None when empty; else refuse."""
    text = re.sub(r"\s+", "", _normalise(value)).upper()
    if not text:
        return None
    if not ID_NUMBER_RE.match(text):
        raise DomainError(
            "invalid_id_number",
            _l("An ID number has 18 characters: 17 digits, then a digit or X."),
            status=422,
            field="id_number",
        )
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > dt.date.today():
        raise DomainError(
            "invalid_id_number",
            _l("The birth date inside this ID number is not a real date."),
            status=422,
            field="id_number",
        )
    if id_check_char(text[:17]) != text[17]:
        raise DomainError(
            "invalid_id_number",
            _l("This ID number's last character does not match: check it for a typing mistake."),
            status=422,
            field="id_number",
        )
    return text


def clean_mobile(value: str | None, *, required: bool, field: str = "phone") -> str | None:
    """Return an 11-digit mobile number, None when empty and optional; else refuse."""
    text = re.sub(r"[\s-]+", "", _normalise(value))
    if not text:
        if required:
            raise DomainError(
                "invalid_phone", _l("Enter a mobile number."), status=422, field=field
            )
        return None
    if not MOBILE_RE.match(text):
        raise DomainError(
            "invalid_phone",
            _l("Enter an 11-digit mobile number, such as 13812345678."),
            status=422,
            field=field,
        )
    return text


def clean_contact_phone(value: str | None) -> str | None:
    """Return a mobile or landline number, None when empty; else refuse."""
    text = re.sub(r"\s+", "", _normalise(value))
    if not text:
        return None
    if not CONTACT_PHONE_RE.match(text):
        raise DomainError(
            "invalid_phone",
            _l("Enter a mobile number or a landline with its area code, such as 0574-65812345."),
            status=422,
            field="contact_phone",
        )
    return text
