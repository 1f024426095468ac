"""The Chinese catalog covers every message, and the English locale is complete by design."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "points_app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("points_app/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
    "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2),
}  # fmt: skip
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _source_messages() -> set[tuple[str | None, str]]:
    """(message context, message) of every translatable string in the code."""
    found: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def _catalog():
    with CATALOG.open("rb") as f:
        return read_po(f)


def test_every_message_in_the_code_has_a_chinese_translation():
    catalog = _catalog()
    translated = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(_source_messages() - translated, key=str)
    assert not missing, f"{len(missing)} messages lack a Chinese translation, e.g. {missing[:5]}"


def test_translations_keep_every_placeholder():
    wrong = []
    for m in _catalog():
        if not m.id:
            continue
        source = m.id[0] if isinstance(m.id, tuple) else m.id
        target = m.string[0] if isinstance(m.string, tuple) else m.string
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            wrong.append(source)
    assert not wrong, wrong[:5]


def test_chinese_is_the_default_locale_outside_tests():
    from points_app.config import DevConfig, ProductionConfig

    assert DevConfig.BABEL_DEFAULT_LOCALE == ProductionConfig.BABEL_DEFAULT_LOCALE == "zh"


def test_pages_switch_between_chinese_and_english(app, client):
    # A fresh app context per request, as in production (Babel caches per context).
    with app.app_context():
        chinese = client.get("/login?lang=zh").get_data(as_text=True)
    assert "登录" in chinese
    with app.app_context():
        english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in english and "登录" not in english
