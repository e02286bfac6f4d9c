"""Tests of correction detection in the middle of a form."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.corrections import FIELDS, Correction, detect_correction


@pytest.mark.parametrize(
    "text, field, new_text",
    [
        ("刚才身份证写错了", "id_number", ""),
        ("身份证号填错了，应该是370102199003071238", "id_number", "370102199003071238"),
        ("姓名改成李四", "applicant_name", "李四"),
        ("名字打错了，应该是王小明", "applicant_name", "王小明"),
        ("手机号应该是13800138000", "phone", "13800138000"),
        ("电话改为13912345678", "phone", "13912345678"),
        ("取得时间改一下", "obtained", ""),
        ("时间说错了，是2016年5月", "obtained", "2016年5月"),
        ("不对，是2016年5月", "obtained", "2016年5月"),
        ("不是一建，改成一造", "qualification", "一造"),
        ("证书名称写错了", "qualification", ""),
        ("一级建造师的级别写错了，应该是二级", "level", "二级"),
        ("级别改成中级", "level", "中级"),
        ("专业写错了，应该是机电工程", "specialty", "机电工程"),
        ("城市填错了，是青岛", "city", "青岛"),
        ("改成济南", "city", "济南"),
        ("管理号写错了，应该是A1234567", "cert_number", "A1234567"),
        ("证书编号改一下", "cert_number", ""),
        ("改成370102199003071238", "id_number", "370102199003071238"),
        ("刚才手机号輸錯了", "phone", ""),
    ],
)
def test_detect_correction(text: str, field: str, new_text: str) -> None:
    """The field and the new value of a correction."""
    assert detect_correction(text) == Correction(field, new_text)


@pytest.mark.parametrize(
    "text",
    ["我的证书丢了", "手机号是13800138000", "2015年5月", "你好", "", "改一下", "专业技术人员职业资格证书怎么补办"],
)
def test_not_a_correction(text: str) -> None:
    """Ordinary answers and questions are not corrections."""
    assert detect_correction(text) is None


@given(st.text())
def test_never_raises(text: str) -> None:
    """Arbitrary text never raises; fields are from the known list."""
    result = detect_correction(text)
    assert result is None or result.field in FIELDS
