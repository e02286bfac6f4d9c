"""Tests of name validation and explicit-cue name finding."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.names import find_name, validate_name


@pytest.mark.parametrize(
    "text, expected",
    [
        ("张三", "张三"),
        ("我叫张三", "张三"),
        ("我是李四", "李四"),
        ("姓名是王五", "王五"),
        ("名字叫赵六", "赵六"),
        ("姓名：欧阳娜娜", "欧阳娜娜"),
        ("欧阳 娜娜", "欧阳娜娜"),
        ("张三。", "张三"),
        ("我叫张三啊", "张三"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽．买买提", "阿依古丽·买买提"),
        ("司马相如", "司马相如"),
        ("㐂子", "㐂子"),
    ],
)
def test_valid_names(text: str, expected: str) -> None:
    """Names with lead-ins, spaces, punctuation and minority-name dots."""
    result = validate_name(text)
    assert result.ok, result
    assert result.value == expected


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "empty"),
        ("我叫", "empty"),
        ("张", "too_short"),
        ("张3", "has_digit"),
        ("Zhang San", "has_latin"),
        ("张san", "has_latin"),
        ("张三！！@#", "bad_char"),
        ("·张三", "bad_dot"),
        ("张三·", "bad_dot"),
        ("张··三", "bad_dot"),
        ("一二三四五六七八九十一二三四五六", "too_long"),
        ("不知道", "not_a_name"),
        ("我想补办证书", "not_a_name"),
        ("好的", "not_a_name"),
    ],
)
def test_invalid_names(text: str, error: str) -> None:
    """Each problem has its code and a Chinese message."""
    result = validate_name(text)
    assert result.error == error
    assert result.message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我叫张三", "张三"),
        ("姓名：张三", "张三"),
        ("姓名:张三", "张三"),
        ("名字是李小龙", "李小龙"),
        ("姓名改成李四", "李四"),
        ("你好，我叫王小明，想补办一建", "王小明"),
        ("我叫张三身份证号是370102199003071238", "张三"),
        ("我叫阿依古丽·买买提", "阿依古丽·买买提"),
        ("申请人姓名是赵六", "赵六"),
    ],
)
def test_find_name(text: str, expected: str) -> None:
    """Names after explicit cues."""
    assert find_name(text).value == expected


@pytest.mark.parametrize("text", ["张三", "我是来补证的", "我的证书丢了", "姓名", "我叫"])
def test_find_name_never_guesses(text: str) -> None:
    """Without an explicit cue, or with nothing after it, no name."""
    assert not find_name(text).ok


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises."""
    validate_name(text)
    find_name(text)
