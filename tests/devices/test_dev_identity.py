"""ID-number rules of the four card types (GB 11643, reference §1.8/§4) and the one masking rule."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.identity import (
    NAME_SEPARATORS,
    CardType,
    age_on,
    birth_date_from_id,
    check_digit,
    gender_from_id,
    guess_card_type,
    mask_id_number,
    mask_name,
    normalise_id_number,
    scrub_id_numbers,
    validate_id_number,
)

FAR_FUTURE = dt.date(2100, 1, 1)

_first17 = st.from_regex(
    r"\A[1-8][0-9]{5}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z")
_foreign_2023_first17 = st.from_regex(
    r"\A9[0-9]{5}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z")
valid_numbers = _first17.map(lambda f: f + check_digit(f))


def test_reference_worked_examples():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("34052419800101001") == "X"
    assert validate_id_number("11010519491231002X") == []
    assert validate_id_number("11010519491231002x") == []   # lower-case x is normalised
    assert validate_id_number("１１０１０５１９４９１２３１００２Ｘ") == []   # full-width from a Pinyin keyboard
    assert validate_id_number("340524198001010013") == ["check digit is 3, expected X"]


def test_structure_problems():
    assert "17 digits" in validate_id_number("1234")[0]
    assert "17 digits" in validate_id_number("٠" * 18)[0]   # Arabic-Indic digits are no ID number
    bad_date = "110105" + "19490231" + "002"
    problems = validate_id_number(bad_date + check_digit(bad_date))
    assert any("not a real date" in p for p in problems)
    future = "110105" + "29990101" + "002"
    assert any("future" in p for p in validate_id_number(future + check_digit(future)))


def test_the_four_card_types():
    hk = "810000" + "19900101" + "001"
    assert guess_card_type(hk + check_digit(hk)) is CardType.HMT_PERMIT
    assert validate_id_number(hk + check_digit(hk), card_type="hmt_residence_permit") == []
    tw = "830000" + "19900101" + "002"
    assert guess_card_type(tw + check_digit(tw)) is CardType.HMT_PERMIT
    y = "911156" + "19800101" + "003"
    assert guess_card_type(y + check_digit(y)) is CardType.FOREIGN_2023
    assert validate_id_number(y + check_digit(y), card_type=CardType.FOREIGN_2023) == []
    assert "begins with 9" in validate_id_number("11010519491231002X", card_type=CardType.FOREIGN_2023)[0]
    assert guess_card_type("USA110075063001") is CardType.FOREIGN_OLD
    assert validate_id_number("usa110075063001") == []
    old = "foreign_permanent_residence"
    assert "3 letters and 12 digits" in validate_id_number("US1110075063001", card_type=old)[0]
    assert guess_card_type("11010519491231002X") is CardType.RESIDENT
    assert guess_card_type("H12345678") is None
    with pytest.raises(ValueError):
        validate_id_number("11010519491231002X", card_type="passport")


def test_card_consistency():
    n = "11010519491231002X"
    assert birth_date_from_id(n) == dt.date(1949, 12, 31)
    assert gender_from_id(n) == "2"
    assert validate_id_number(n, birth_date=dt.date(1950, 1, 1))[0].startswith("birth date on card")
    assert "gender" in validate_id_number(n, gender_code="1")[0]


def test_masks():
    assert mask_id_number("110105194912310021") == "110105********0021"
    assert mask_id_number("USA110075063001") == "USA********3001"
    assert mask_id_number("H12345678") == "******678"
    assert mask_id_number("") == ""
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王䶮") == "王*"
    assert mask_name("䶮") == "*"                      # a one-character name is never shown whole
    assert mask_name("𠀾𪚥") == "𠀾*"                  # Extension B ideographs are one unit each
    assert mask_name("葛\U000e0100三") == "葛\U000e0100*"  # an ideographic variation sequence stays one unit
    assert mask_name("阿卜杜拉·买买提") == "阿***·***"
    assert mask_name("JOHN  SMITH") == "J*** ***"
    assert mask_name("MARIE-CLAIRE DUPONT") == "M***-*** ***"
    assert mask_name(" 张三 ") == "张*"
    assert mask_name("") == ""


def test_scrubber_masks_every_card_type():
    text = ("resident 11010519491231002X, hmt 810000199001010013, 2023 911156198001010038, "
            "old usa110075063001, full-width １１０１０５１９４９１２３１００２Ｘ; order 1234567890123456789")
    out = scrub_id_numbers(text)
    for secret in ("11010519491231002X", "810000199001010013", "911156198001010038", "usa110075063001",
                   "１１０１０５１９４９１２３１００２Ｘ"):
        assert secret not in out
    assert "110105********002X" in out and "USA********3001" in out
    assert "1234567890123456789" in out   # a longer run is not an ID number


def test_age_on():
    on = dt.date(2024, 12, 31)
    assert age_on("11010519491231002X", on) == 75
    assert age_on("19491231", dt.date(2024, 12, 30)) == 74
    assert age_on(dt.date(2000, 2, 29), dt.date(2001, 2, 28)) == 0
    with pytest.raises(ValueError):
        age_on("nonsense")


@given(st.text(max_size=40))
def test_validate_and_masks_never_raise(text):
    assert isinstance(validate_id_number(text), list)
    masked = mask_id_number(text)
    assert isinstance(masked, str)
    assert isinstance(mask_name(text), str)


@given(valid_numbers)
def test_generated_numbers_with_their_check_digit_are_valid(number):
    assert validate_id_number(number, today=FAR_FUTURE) == []


@given(_foreign_2023_first17)
def test_generated_2023_permanent_residence_numbers_are_valid(first17):
    number = first17 + check_digit(first17)
    assert guess_card_type(number) is CardType.FOREIGN_2023
    assert validate_id_number(number, card_type=CardType.FOREIGN_2023, today=FAR_FUTURE) == []


@given(valid_numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_one_character_changed_is_detected(number, position, replacement):
    """MOD 11-2 detects every single substitution: a changed digit or check character fails."""
    if number[position] == replacement or (replacement == "X" and position != 17):
        return
    mutated = number[:position] + replacement + number[position + 1:]
    assert validate_id_number(mutated, today=FAR_FUTURE) != []


@given(st.text(min_size=0, max_size=30))
def test_an_id_mask_shows_no_more_than_the_rule(text):
    n = normalise_id_number(text)
    masked = mask_id_number(text)
    shown = [i for i, c in enumerate(masked) if c != "*"]
    allowed = 10 if len(masked) == 18 else 7 if len(masked) == 15 else min(4, len(masked) // 3)
    assert len(shown) <= allowed
    if len(masked) == len(n):
        assert all(masked[i] == n[i] for i in shown)


@given(valid_numbers)
def test_a_valid_number_masks_to_region_and_last_four(number):
    masked = mask_id_number(number)
    assert masked == number[:6] + "********" + number[-4:]
    assert scrub_id_numbers(f"read {number} ok") == f"read {masked} ok"


_name_chars = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),     # CJK
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),     # Extension A (䶮)
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),   # Extension B
    st.characters(min_codepoint=0x41, max_codepoint=0x5A),         # Latin capitals of foreigners' cards
    st.sampled_from("· -"),
)


@given(st.text(_name_chars, max_size=24))
def test_a_name_mask_reveals_at_most_the_first_character(name):
    masked = mask_name(name)
    letters = [c for c in " ".join(name.split()) if c not in NAME_SEPARATORS]
    shown = [c for c in masked if c != "*" and c not in NAME_SEPARATORS]
    if len(letters) <= 1:
        assert shown == []
    else:
        assert shown == letters[:1]
    assert mask_name(masked) == masked                 # idempotent: masking twice changes nothing
    seps = [c for c in " ".join(name.split()) if c in NAME_SEPARATORS]
    if len(letters) > 1:
        assert [c for c in masked if c in NAME_SEPARATORS] == seps
