"""Tests of the loose management-number check."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.cert_number import DONT_KNOW, find_cert_number, validate_cert_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0511000123456789", "0511000123456789"),
        ("0511 0001 2345 6789", "0511000123456789"),
        ("0511-0001-2345", "051100012345"),
        ("ab123456", "AB123456"),
        ("管理号是1234567890", "1234567890"),
        ("１２３４５６７８", "12345678"),
    ],
)
def test_accepts(text: str, expected: str) -> None:
    """Letters and digits, spaces and dashes dropped, upper-cased."""
    assert validate_cert_number(text).value == expected


@pytest.mark.parametrize("text", ["不记得", "不记得了", "忘了", "没有", "不知道", "记不清了", "证书上没有管理号", "无"])
def test_dont_know_is_the_sentinel(text: str) -> None:
    """Not remembering is a valid answer."""
    assert validate_cert_number(text).value == DONT_KNOW == "不记得"


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "empty"),
        ("12345", "too_short"),
        ("1" * 31, "too_long"),
        ("1234#5678", "bad_char"),
        ("370102199003071238", "looks_like_id"),
        ("13800138000", "looks_like_phone"),
    ],
)
def test_rejects(text: str, error: str) -> None:
    """Impossible answers have codes; every message offers "不记得"."""
    result = validate_cert_number(text)
    assert result.error == error
    assert result.message
    if error != "empty":
        assert "不记得" in result.message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的管理号是 1234567890", "1234567890"),
        ("证书编号：A1234567，谢谢", "A1234567"),
        ("证书号 0511-0001-2345", "051100012345"),
        ("管理号不记得了", DONT_KNOW),
        ("证书管理号我忘了", DONT_KNOW),
        ("我叫张三", None),
        ("1234567890", None),
    ],
)
def test_find_cert_number(text: str, expected: str) -> None:
    """Only after a cue."""
    assert find_cert_number(text).value == expected


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises."""
    validate_cert_number(text)
    find_cert_number(text)
