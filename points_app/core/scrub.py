"""Scrub free text of personal data before it is shown to people who may not see it.

One function, `scrub_text`, for every place that shows typed text to a wider audience
(public Open311 output, derived issue titles, the masked issue page): ID numbers and
phone numbers in any common format, and the names it is given, are masked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from points_app.core.masking import mask_id_number, mask_name, mask_phone

# Between the digits of a number people type spaces, dashes (also full-width), dots.
_SEP = r"[ \u00a0\u3000\-\u2010-\u2015\uff0d.]?"
_D = r"\d"  # any Unicode decimal digit: full-width ０-９ too
# An ID number: 17 digits and a check character, compact or in the usual groups
# (6-8-4, 6-4-4-4, 4-4-4-4-2) with spaces or dashes between them.
_X = r"[\dXxＸｘ]"
ID_NUMBER = re.compile(
    r"(?<![\dA-Za-z])(?:"
    rf"\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}{_X}"
    rf"|\d{{6}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{3}}{_X}"
    rf"|\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{_X}"
    r")(?![\dA-Za-z])"
)
# A mobile: 1[3-9] and nine more digits, optionally after +86 / 0086 / 86.
MOBILE = re.compile(
    rf"(?<![\d+＋])(?:(?:[+＋]|00)?[8８][6６]{_SEP}|[(（][+＋]?[8８][6６][)）]{_SEP})?"
    rf"[1１]{_SEP}[3-9３-９](?:{_SEP}{_D}){{9}}(?!\d)"
)
# A landline: an optional area code (0 and 2-3 digits, maybe in brackets), then 7-8 digits.
LANDLINE = re.compile(
    rf"(?<!\d)(?:[(（]?[0０]\d{{2,3}}[)）]?{_SEP})?[2-9２-９]\d{{2,3}}{_SEP}\d{{4}}(?!\d)"
)
# Any other long run of digits (account or card numbers): 9 or more digits.
LONG_NUMBER = re.compile(r"(?<!\d)\d{9,}(?!\d)")
# Seven digits with at most two other characters between neighbours: every pattern above
# holds such a run, so text without one needs no closer look.
_MAYBE_NUMBER = re.compile(r"\d(?:\D{0,2}\d){6}")
# A year-month-day the landline pattern would otherwise take: 2026-11-01, 2026 1101.
_DATE = re.compile(r"^(?:19|20)\d{2}[-./ ]?(?:0?[1-9]|1[0-2])[-./ ]?(?:0?[1-9]|[12]\d|3[01])$")


def _digits(text: str) -> str:
    return unicodedata.normalize("NFKC", "".join(c for c in text if c.isdigit() or c in "XxＸｘ"))


def _mask_id(match: re.Match[str]) -> str:
    return mask_id_number(_digits(match.group()).upper())


def _mask_mobile(match: re.Match[str]) -> str:
    return mask_phone(_digits(match.group())[-11:])


def _mask_landline(match: re.Match[str]) -> str:
    text = match.group()
    if _DATE.match(text):
        return text
    digits = _digits(text)
    return "*" * (len(digits) - 4) + digits[-4:]


def _mask_long(match: re.Match[str]) -> str:
    digits = match.group()
    return "*" * (len(digits) - 4) + digits[-4:]


def scrub_text(text: str, names: Iterable[str | None] = ()) -> str:
    """Mask ID numbers, mobiles, landlines, long digit runs and the given names in text."""
    if not text:
        return text
    if _MAYBE_NUMBER.search(text):  # most text (and log lines) has no 7 digits close together
        text = ID_NUMBER.sub(_mask_id, text)
        text = MOBILE.sub(_mask_mobile, text)
        text = LANDLINE.sub(_mask_landline, text)
        text = LONG_NUMBER.sub(_mask_long, text)
    # Longest names first, so 王小明 is masked whole before 王小 could match part of it.
    wanted = {n.strip() for n in names if n and len(n.strip()) > 1}
    for name in sorted(wanted, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def has_personal_number(text: str) -> bool:
    """True if the text holds something `scrub_text` would mask as a number."""
    return any(p.search(text) for p in (ID_NUMBER, MOBILE, LONG_NUMBER)) or any(
        not _DATE.match(m.group()) for m in LANDLINE.finditer(text)
    )


def looks_like_personal_number(text: str) -> bool:
    """True for text holding 7+ digits in a row, separators aside: a phone or an ID number."""
    compact = re.sub(r"[\s\u3000\-\u2010-\u2015\uff0d.()（）+＋]", "", text or "")
    return re.search(r"\d{7,}", compact) is not None
