"""One scrubbing function masks personal numbers and names in free text, in every format."""

from __future__ import annotations

import pytest

from points_app.core.scrub import has_personal_number, scrub_text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("电话13987654321", "电话139****4321"),
        ("电话+8613987654321", "电话139****4321"),
        ("电话 +86 139 8765 4321 找", "电话 139****4321 找"),
        ("0086-139-8765-4321", "139****4321"),
        ("(+86)13987654321", "139****4321"),
        ("139-8765-4321", "139****4321"),
        ("139 8765 4321", "139****4321"),
        ("１３９８７６５４３２１", "139****4321"),
        ("１３９－８７６５－４３２１", "139****4321"),
    ],
)
def test_mobiles_in_any_format_are_masked(typed, shown):
    assert scrub_text(typed) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("座机0574-65551234", "座机********1234"),
        ("座机 (0574) 6555 1234", "座机 ********1234"),
        ("（0574）65551234", "********1234"),
        ("打6555-1234", "打****1234"),
        ("打 6555123", "打 ***5123"),
    ],
)
def test_landlines_are_masked(typed, shown):
    assert scrub_text(typed) == shown


@pytest.mark.parametrize(
    "typed",
    [
        "33022519500101001X",
        "330225 19500101 001X",
        "330225-1950-0101-001x",
        "3302 2519 5001 0100 1X",
        "３３０２２５１９５００１０１００１Ｘ",
    ],
)
def test_id_numbers_compact_or_spaced_are_masked(typed):
    assert scrub_text(f"身份证{typed}。") == "身份证3302**********001X。"


def test_names_given_are_masked_longest_first():
    text = "王小明说邻居李四家漏水，王小也知道"
    assert (
        scrub_text(text, ["李四", "王小明", "王小", None, "张"]) == "王**说邻居李*家漏水，王*也知道"
    )


def test_dates_times_and_counts_are_left_alone():
    text = "2026-11-01 20261101 下午13:30，共1300人，8:00-17:00，价格 ¥1234567"
    assert scrub_text(text) == text
    assert not has_personal_number("2026-11-01 20261101 13:30")


def test_long_card_numbers_keep_their_last_four_digits_only():
    assert scrub_text("卡号6222021234567890123") == "卡号***************0123"


def test_scrubbed_text_holds_no_number_any_more():
    text = "请联系 +86 139-8765-4321 或 0574 6555 1234，身份证 330225 19500101 001X"
    assert has_personal_number(text)
    assert not has_personal_number(scrub_text(text))
