"""Tests of mobile number finding and validation."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.id_number import check_digit
from reissue.parsing.phone import find_phone, validate_phone


@pytest.mark.parametrize(
    "text",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+86 13800138000", "+8613800138000", "86-138-0013-8000",
     "１３８００１３８０００", "我的手机号是13800138000", "手机：13800138000。"],
)
def test_validate_phone_accepts(text: str) -> None:
    """Spaces, dashes, +86 and full-width digits are tolerated."""
    result = validate_phone(text)
    assert result.ok, result
    assert result.value == "13800138000"


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "empty"),
        ("1380013800", "length"),
        ("138001380001", "length"),
        ("12800138000", "prefix"),
        ("10086000000", "prefix"),
        ("0531-88888888", "landline"),
        ("不告诉你", "chars"),
    ],
)
def test_validate_phone_rejects(text: str, error: str) -> None:
    """Each mistake has its code and a message."""
    result = validate_phone(text)
    assert result.error == error
    assert result.message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("电话13912345678，谢谢", "13912345678"),
        ("联系方式 139 1234 5678", "13912345678"),
        ("身份证370102199003071238 手机15912345678", "15912345678"),
        ("+86 199-1234-5678", "19912345678"),
    ],
)
def test_find_phone(text: str, expected: str) -> None:
    """Numbers in sentences are found."""
    assert find_phone(text).value == expected


@pytest.mark.parametrize(
    "text",
    ["370102199003071238", "身份证号 13010219900307123X", "订单号 2013800138000123", "0531 1380 0138 000",
     "管理号：1380013800012"],
)
def test_find_phone_does_not_invent_numbers(text: str) -> None:
    """No phone inside ID numbers or longer digit runs."""
    assert find_phone(text).error == "not_found"


@given(
    st.sampled_from(["11", "13", "37", "44", "65"]).map(lambda p: p + "0102"),
    st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_phone_never_found_inside_a_valid_id(region: str, birth: date, sequence: int) -> None:
    """Whatever its digits, a valid ID number never yields a phone number."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    number = first17 + check_digit(first17)
    assert find_phone(number).error == "not_found"
    assert find_phone(f"身份证号{number}。").error == "not_found"
    assert find_phone(f"{number[:6]} {number[6:14]} {number[14:]}").error == "not_found"


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises."""
    find_phone(text)
    validate_phone(text)
