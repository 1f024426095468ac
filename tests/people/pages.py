"""Helpers to read the pages in tests."""

from __future__ import annotations

import html
import re

FIELD_RE = re.compile(r'<div class="field has-error">(.*?)</div>', re.S)


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown beside the form field called `name`."""
    for block in FIELD_RE.findall(page):
        if f'name="{name}"' in block:
            return [html.unescape(m) for m in re.findall(r'<p class="error"[^>]*>(.*?)</p>', block)]
    return []


def field_value(page: str, name: str) -> str | None:
    """The value an <input> called `name` shows."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else ""
    return None
