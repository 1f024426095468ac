"""Masking of personal data for display."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """Show the first and last four characters of an ID number: 3302**********1234."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Show the first three and last four digits of a phone number: 138****1234."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the family name: 张** for 张三丰; first letter for Latin names."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)
