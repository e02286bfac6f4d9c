"""Tests of the shared text clean-up."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.text import clean, normalise, number_candidates, to_simplified, unify_middle_dots


@pytest.mark.parametrize(
    "text, expected",
    [("證書補辦", "证书补办"), ("濟南市", "济南市"), ("一級建造師", "一级建造师"), ("简体不变", "简体不变"), ("", "")],
)
def test_to_simplified(text: str, expected: str) -> None:
    """Traditional characters become Simplified."""
    assert to_simplified(text) == expected


def test_to_simplified_non_strings() -> None:
    """None and numbers do not raise."""
    assert to_simplified(None) == ""
    assert to_simplified(123) == "123"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("  ２０１５年　５月 ", "2015年 5月"),
        ("ＡＢＣ１２３", "ABC123"),
        ("张\u200b三", "张三"),
        ("a\t\tb\nc", "a b c"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("（投资）", "(投资)"),
        ("\ufeff你好\x00", "你好"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    """Full-width → half-width, invisible characters dropped, spaces collapsed, · kept."""
    assert normalise(text) == expected


def test_clean_combines_both() -> None:
    """clean() normalises and converts."""
    assert clean(" 濟南　２０１５ ") == "济南 2015"


def test_unify_middle_dots() -> None:
    """Look-alike dots become ·."""
    assert unify_middle_dots("阿依古丽•买买提・热合曼") == "阿依古丽·买买提·热合曼"


def test_number_candidates_with_separators() -> None:
    """Spaced and dashed numbers are found; groups are never split."""
    assert [c[2] for c in number_candidates("电话138 0013 8000", 11)] == ["13800138000"]
    assert [c[2] for c in number_candidates("138-0013-8000", 11)] == ["13800138000"]
    assert number_candidates("370102199003071238", 11) == []
    found = number_candidates("号码 370102 19900307 123x 好", 18, last_may_be_x=True)
    assert [c[2] for c in found] == ["37010219900307123x"]


@given(st.text())
def test_normalise_never_raises(text: str) -> None:
    """Any string is accepted and the result has no leading/trailing whitespace."""
    result = normalise(text)
    assert result == result.strip()
    clean(text)
