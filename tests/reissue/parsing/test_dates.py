"""Tests of the year-month parser."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.dates import find_year_month, parse_year_month

TODAY = date(2026, 11, 27)
CN = "〇一二三四五六七八九"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015年5月", "2015-05"),
        ("2015年05月", "2015-05"),
        ("2015 年 5 月", "2015-05"),
        ("2015年5月份", "2015-05"),
        ("2015年的5月", "2015-05"),
        ("15年5月", "2015-05"),
        ("98年7月", "1998-07"),
        ("二〇一五年五月", "2015-05"),
        ("二零一五年五月", "2015-05"),
        ("二零一五年十二月", "2015-12"),
        ("二〇〇八年十月", "2008-10"),
        ("一五年十一月", "2015-11"),
        ("2015.05", "2015-05"),
        ("2015.5", "2015-05"),
        ("2015-5", "2015-05"),
        ("2015/05", "2015-05"),
        ("2015-05-20", "2015-05"),
        ("201505", "2015-05"),
        ("20150520", "2015-05"),
        ("２０１５年５月", "2015-05"),
        ("大概是2015年5月吧", "2015-05"),
        ("去年3月", "2025-03"),
        ("今年5月", "2026-05"),
        ("2026年11月", "2026-11"),
        ("貳零壹伍年", None),
    ],
)
def test_parse_year_month(text: str, expected: str) -> None:
    """Every common way of writing a year and month."""
    assert parse_year_month(text, TODAY).value == expected


@pytest.mark.parametrize(
    "text, error",
    [
        ("2015年", "month_missing"),
        ("15年", "month_missing"),
        ("二〇一五年", "month_missing"),
        ("2015", "month_missing"),
        ("5月", "year_missing"),
        ("2015年13月", "month_invalid"),
        ("2026年12月", "future"),
        ("2030年1月", "future"),
        ("1949年5月", "too_early"),
        ("不记得了", "not_found"),
        ("", "not_found"),
    ],
)
def test_parse_year_month_errors(text: str, error: str) -> None:
    """Missing month, impossible and future dates have their own codes and messages."""
    result = parse_year_month(text, TODAY)
    assert result.error == error
    assert result.message


def test_month_missing_message_repeats_the_year() -> None:
    """The follow-up question mentions the year already given."""
    assert "2015年几月" in parse_year_month("2015年", TODAY).message


def test_min_year_rejects_years_before_the_qualification() -> None:
    """With first_year 2015 (一消), 2014 is impossible, 2015 is fine."""
    assert parse_year_month("2014年5月", TODAY, min_year=2015).error == "before_first_year"
    assert parse_year_month("2015年11月", TODAY, min_year=2015).value == "2015-11"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我2015年5月考的一级建造师", "2015-05"),
        ("一建是二〇一五年五月拿到的证", "2015-05"),
        ("2015年考的一级建造师", None),
        ("身份证370102199003071238，2016年9月取得", "2016-09"),
        ("手机13800138000", None),
    ],
)
def test_find_year_month(text: str, expected: str) -> None:
    """Dates inside sentences; numbers of IDs and phones are not dates."""
    assert find_year_month(text, TODAY).value == expected


def test_find_year_month_in_an_id_is_not_a_date() -> None:
    """The birth date inside an ID number is not taken for the date obtained."""
    assert find_year_month("370102199003071238", TODAY).error == "not_found"


def _format(year: int, month: int, style: int) -> str:
    """One of the ways people write a year and month."""
    cn_year = "".join(CN[int(d)] for d in str(year))
    cn_month = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"][month - 1]
    return [
        f"{year}年{month}月",
        f"{year}年{month:02d}月",
        f"{year}.{month:02d}",
        f"{year}-{month}",
        f"{year}/{month:02d}",
        f"{year}{month:02d}",
        f"{cn_year}年{cn_month}月",
        f"{str(year)[2:]}年{month}月",
    ][style]


@given(
    st.integers(min_value=1950, max_value=2026),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=7),
)
def test_round_trip(year: int, month: int, style: int) -> None:
    """Any past year/month written in any style parses back to itself."""
    if (year, month) > (TODAY.year, TODAY.month):
        return
    if style == 7 and year < 1927:
        return
    text = _format(year, month, style)
    assert parse_year_month(text, TODAY).value == f"{year:04d}-{month:02d}", text


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises and always gives a value or an error."""
    result = parse_year_month(text, TODAY)
    assert result.ok or result.error
    find_year_month(text, TODAY)
