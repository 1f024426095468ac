"""ID number and phone checks."""

from __future__ import annotations

import pytest

from points_app.core.errors import DomainError
from points_app.people.validation import (
    clean_contact_phone,
    clean_id_number,
    clean_mobile,
    id_check_char,
)
from tests.people.conftest import valid_id, wrong_check


def test_check_character_of_the_standard_example_is_x():
    assert id_check_char("11010519491231002") == "X"


def test_valid_id_number_is_accepted_and_upper_cased():
    assert clean_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_empty_id_number_means_none():
    assert clean_id_number("  ") is None


@pytest.mark.parametrize(
    "bad",
    [
        "1234",  # too short
        "1101051949123100211",  # too long
        "11010519491231002Y",  # letter other than X
        "X1010519491231002X",  # X not at the end
        "110105194913310020",  # month 13
        "110105180001010020",  # born before 1900
        "110105300001010020",  # born in the future
    ],
)
def test_malformed_id_numbers_are_refused(bad):
    with pytest.raises(DomainError) as error:
        clean_id_number(bad)
    assert error.value.code == "invalid_id_number"
    assert error.value.details["field"] == "id_number"


def test_id_number_with_wrong_check_character_is_refused():
    with pytest.raises(DomainError) as error:
        clean_id_number(wrong_check(valid_id(7)))
    assert "last character" in str(error.value.message)


def test_mobile_must_have_eleven_digits_starting_with_1():
    assert clean_mobile("138 1234 5678", required=True) == "13812345678"
    for bad in ("1381234567", "23812345678", "138123456789", "phone"):
        with pytest.raises(DomainError):
            clean_mobile(bad, required=True)


def test_optional_mobile_may_be_empty_but_required_one_may_not():
    assert clean_mobile("", required=False) is None
    with pytest.raises(DomainError):
        clean_mobile("", required=True)


def test_contact_phone_takes_a_landline_with_area_code():
    assert clean_contact_phone("0574-65812345") == "0574-65812345"
    assert clean_contact_phone("") is None
    with pytest.raises(DomainError):
        clean_contact_phone("65812345")


def test_full_width_digits_from_a_chinese_input_method_are_accepted_as_plain_digits():
    assert clean_mobile("１３８１２３４５６７８", required=True) == "13812345678"
    assert clean_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_digits_of_other_scripts_are_refused():
    with pytest.raises(DomainError):
        clean_mobile("١٣٨١٢٣٤٥٦٧٨", required=True)
