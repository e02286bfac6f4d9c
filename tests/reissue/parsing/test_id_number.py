"""Tests of ID number validation (GB 11643 check digit) and finding one in free text."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.id_number import PROVINCE_CODES, check_digit, find_id_number, id_last4, validate_id_number

TODAY = date(2026, 11, 27)


def make_id(region: str = "370102", birth: date = date(1990, 3, 7), sequence: str = "123") -> str:
    """A synthetic ID number with a correct check digit."""
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + check_digit(first17)


VALID = make_id()


def test_known_check_digits() -> None:
    """The example of the standard (…002X) and a computed one."""
    assert check_digit("11010519491231002") == "X"
    assert check_digit("37010219900307123") == "8"
    assert check_digit("123") == "" and check_digit("1234567890123456X") == ""


@pytest.mark.parametrize(
    "text, expected",
    [
        (VALID, VALID),
        ("11010519491231002x", "11010519491231002X"),
        ("11010519491231002X", "11010519491231002X"),
        (f" {VALID[:6]} {VALID[6:14]} {VALID[14:]} ", VALID),
        (f"{VALID[:6]}-{VALID[6:14]}-{VALID[14:]}", VALID),
        ("".join(chr(ord(c) + 0xFEE0) for c in VALID), VALID),
        (f"身份证号是{VALID}", VALID),
        (f"{VALID}，谢谢", VALID),
    ],
)
def test_valid_ids(text: str, expected: str) -> None:
    """Valid numbers in the forms people type them."""
    result = validate_id_number(text, TODAY)
    assert result.ok, result
    assert result.value == expected


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("3701021990030712", "length"),
        (VALID + "1", "length"),
        ("370102900307123", "old_15"),
        ("99" + VALID[2:17] + check_digit("99" + VALID[2:17]), "region"),
        (make_id(birth=date(1990, 3, 7)).replace("19900307", "19900230")[:17] + "0", "birth_date"),
        (make_id(birth=TODAY + timedelta(days=1)), "birth_future"),
        (make_id(birth=date(1899, 12, 31)), "birth_too_early"),
        (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "check_digit"),
        ("3701X2199003071238", "chars"),
        ("我不知道", "chars"),
    ],
)
def test_invalid_ids(text: str, error: str) -> None:
    """Each kind of mistake has its own code and a Chinese message."""
    result = validate_id_number(text, TODAY)
    assert not result.ok
    assert result.error == error
    assert result.message and any("\u4e00" <= ch <= "\u9fff" for ch in result.message)


def test_length_message_says_how_many() -> None:
    """The message tells the applicant how many characters they typed."""
    assert "16位" in validate_id_number("3701021990030712", TODAY).message


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"我叫张三，身份证号{VALID}，手机13800138000", VALID),
        (f"手机13800138000 {VALID}", VALID),
        (f"身份证：{VALID[:6]} {VALID[6:14]} {VALID[14:]}", VALID),
        ("号码是11010519491231002x呢", "11010519491231002X"),
    ],
)
def test_find_id_number(text: str, expected: str) -> None:
    """IDs are found inside sentences."""
    assert find_id_number(text, TODAY).value == expected


def test_find_id_number_reports_a_bad_candidate() -> None:
    """A wrong check digit in free text is reported as such, not as missing."""
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    assert find_id_number(f"身份证{wrong}", TODAY).error == "check_digit"
    assert find_id_number("没有号码", TODAY).error == "not_found"
    assert find_id_number("13800138000", TODAY).error == "not_found"


def test_id_last4() -> None:
    """The last four characters, or "" when there is no ID."""
    assert id_last4(f"身份证{VALID}") == VALID[-4:]
    assert id_last4("11010519491231002x") == "002X"
    assert id_last4("没有") == ""


ids = st.builds(
    make_id,
    region=st.sampled_from(sorted(PROVINCE_CODES)).map(lambda code: f"{code}0102"),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}"),
)


@given(ids)
def test_generated_ids_validate(number: str) -> None:
    """Every generated valid ID validates, also with lower-case x and spaces."""
    assert validate_id_number(number, TODAY).value == number
    assert validate_id_number(number.lower(), TODAY).value == number
    assert find_id_number(f"身份证号码：{number[:6]} {number[6:]}。", TODAY).value == number


@given(ids, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_changing_one_character_fails(number: str, position: int, delta: int) -> None:
    """Changing any single digit (or the check character) makes the number invalid."""
    chars = list(number)
    if chars[position] == "X":
        chars[position] = str(delta)
    else:
        chars[position] = str((int(chars[position]) + delta) % 10)
    assert not validate_id_number("".join(chars), TODAY).ok


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises."""
    validate_id_number(text, TODAY)
    find_id_number(text, TODAY)
    id_last4(text)
