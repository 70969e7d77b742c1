"""ID-number rules (GB 11643) and masking."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.idcard.identity import (
    age_on,
    birth_date_from_id,
    check_digit,
    gender_from_id,
    mask_id_number,
    mask_name,
    validate_id_number,
)


def test_reference_worked_examples():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("34052419800101001") == "X"
    assert validate_id_number("11010519491231002X") == []
    assert validate_id_number("11010519491231002x") == []   # lower-case x is normalised
    assert validate_id_number("340524198001010013") == ["check digit is 3, expected X"]


def test_structure_problems():
    assert "17 digits" in validate_id_number("1234")[0]
    bad_date = "110105" + "19490231" + "002"
    problems = validate_id_number(bad_date + check_digit(bad_date))
    assert any("not a real date" in p for p in problems)
    future = "110105" + "29990101" + "002"
    assert any("future" in p for p in validate_id_number(future + check_digit(future)))


def test_card_consistency():
    n = "11010519491231002X"
    assert birth_date_from_id(n) == dt.date(1949, 12, 31)
    assert gender_from_id(n) == "2"
    assert validate_id_number(n, birth_date=dt.date(1950, 1, 1))[0].startswith("birth date on card")
    assert "gender" in validate_id_number(n, gender_code="1")[0]


def test_masks():
    assert mask_id_number("110105194912310021") == "110105********0021"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王䶮") == "王*"
    assert mask_name("") == ""
    assert mask_id_number("USA110075063001") == "USA********3001"


def test_age_on():
    on = dt.date(2024, 12, 31)
    assert age_on("11010519491231002X", on) == 75
    assert age_on("19491231", dt.date(2024, 12, 30)) == 74
    assert age_on(dt.date(2000, 2, 29), dt.date(2001, 2, 28)) == 0
    with pytest.raises(ValueError):
        age_on("nonsense")


@given(st.text(max_size=40))
def test_validate_never_raises(text):
    assert isinstance(validate_id_number(text), list)
    assert "*" in mask_id_number(text) or len(text.strip()) == 0


@given(st.from_regex(r"\A[1-6][0-9]{5}(19[5-9][0-9]|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z"))
def test_generated_numbers_with_their_check_digit_are_valid(first17):
    assert validate_id_number(first17 + check_digit(first17), today=dt.date(2030, 1, 1)) == []
