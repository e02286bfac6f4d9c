"""Tests of yes/no and reason parsing."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.answers import parse_reason, parse_yes_no


@pytest.mark.parametrize(
    "text",
    ["是", "是的", "对", "对的", "领过", "领过的", "有", "有的", "嗯", "嗯嗯", "好的", "好", "可以", "没错", "没问题",
     "确认", "yes", "OK", "Y", "领了，不过丢了", "拿到过", "是，領過"],
)
def test_yes(text: str) -> None:
    """Affirmative answers."""
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    ["没有", "没", "没领", "没领过", "没有领", "不是", "否", "不", "不对", "不用", "不需要", "从来没领过", "未领取",
     "no", "N", "不好", "不行", "是的没领过"],
)
def test_no(text: str) -> None:
    """Negative answers, also those containing 有 or 是."""
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["", "我不知道", "不清楚", "记不清了", "啊？", "你们几点上班", "可能吧"])
def test_unclear(text: str) -> None:
    """Unclear answers are None, so the form asks again."""
    assert parse_yes_no(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("证书丢了", "lost"),
        ("遗失了", "lost"),
        ("找不到了", "lost"),
        ("搬家弄没了", "lost"),
        ("被偷了", "lost"),
        ("不见了", "lost"),
        ("钱包被偷证书也没了", "lost"),
        ("證書丟失", "lost"),
        ("证书坏了", "damaged"),
        ("损毁", "damaged"),
        ("被火烧了一角", "damaged"),
        ("泡水了", "damaged"),
        ("孩子撕了", "damaged"),
        ("没丢，是坏了", "damaged"),
        ("没领", "expired_uncollected"),
        ("未领取", "expired_uncollected"),
        ("从来没拿到", "expired_uncollected"),
        ("一直没去领", "expired_uncollected"),
        ("考过以后没领证书", "expired_uncollected"),
        ("证书还在", None),
        ("", None),
        ("你好", None),
    ],
)
def test_parse_reason(text: str, expected: str) -> None:
    """The three reasons of the guide, from the way people describe them."""
    assert parse_reason(text) == expected


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises and gives only allowed values."""
    assert parse_yes_no(text) in (True, False, None)
    assert parse_reason(text) in ("lost", "damaged", "expired_uncollected", None)
