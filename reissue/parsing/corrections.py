"""Corrections in the middle of a form: "刚才身份证写错了", "姓名改成李四", "手机号应该是13800138000"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import List, Optional, Tuple

from reissue.lexicon import find_city, find_level, find_qualification, qualification_aliases
from reissue.parsing.dates import find_year_month
from reissue.parsing.id_number import find_id_number
from reissue.parsing.names import validate_name
from reissue.parsing.phone import find_phone
from reissue.parsing.text import clean

FIELDS = ("qualification", "level", "specialty", "obtained", "applicant_name", "id_number", "cert_number",
          "city", "phone")
_CUE = re.compile(
    r"写错|填错|输错|说错|打错|搞错|弄错|记错|错了|有误|不对|不正确|改成|改为|改一下|改下|修改|更改|更正|改正|换成|换一下"
    r"|应该是|应为|重新填|重填|重新输入|重新说"
)
# Field words, longest first so that 身份证号 wins over 证 and 证书编号 over 证书.
_FIELD_WORDS: Tuple[Tuple[str, str], ...] = (
    ("证书管理号", "cert_number"), ("管理号", "cert_number"), ("证书编号", "cert_number"), ("证书号", "cert_number"),
    ("编号", "cert_number"),
    ("身份证号码", "id_number"), ("身份证号", "id_number"), ("身份证", "id_number"), ("证件号", "id_number"),
    ("手机号码", "phone"), ("手机号", "phone"), ("手机", "phone"), ("联系电话", "phone"), ("电话", "phone"),
    ("联系方式", "phone"),
    ("姓名", "applicant_name"), ("名字", "applicant_name"),
    ("取得时间", "obtained"), ("取得年月", "obtained"), ("取证时间", "obtained"), ("发证时间", "obtained"),
    ("考试时间", "obtained"), ("年月", "obtained"), ("年份", "obtained"), ("月份", "obtained"), ("时间", "obtained"),
    ("日期", "obtained"),
    ("级别", "level"), ("等级", "level"),
    ("专业", "specialty"),
    ("城市", "city"), ("地市", "city"), ("哪个市", "city"), ("报考地", "city"), ("所在市", "city"),
    ("证书名称", "qualification"), ("资格名称", "qualification"), ("证书类别", "qualification"),
    ("证书种类", "qualification"), ("证书类型", "qualification"), ("哪个证", "qualification"), ("证书", "qualification"),
)
# Words that contain a field word but are not about that field.
_IGNORED = ("专业技术", "职业资格", "专业人员", "时间不多", "补证", "电子证书", "纸质证书")
_NEW_VALUE = re.compile(r"(?:改成|改为|换成|应该是|应为|更正为|正确的是|其实是|实际是|实际上是)\s*:?\s*(?P<value>.+)$")
_WEAK_VALUE = re.compile(r"(?:不是.*?|错了|不对|有误)[,，。\s]*(?:应该)?是\s*:?\s*(?P<value>.+)$")
_TRAILING = re.compile(r"[。.!！,，~～\s]+$|(?:了|吧|啊|呀|哈|哦)+$")


@dataclass(frozen=True)
class Correction:
    """The field the applicant wants to change and the new value they gave ("" when not yet given)."""

    field: str
    new_text: str


def _blanked(text: str, words: List[str]) -> str:
    """`text` with every listed word replaced by spaces."""
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, " " * len(word))
    return text


def _field_from_words(text: str) -> Optional[str]:
    """The field named first in the text by a field word."""
    aliases = [alias for alias in qualification_aliases() if alias and alias in text]
    masked = _blanked(text, list(_IGNORED) + aliases)
    found: List[Tuple[int, str]] = []
    for word, field in _FIELD_WORDS:
        start = masked.find(word)
        if start >= 0:
            found.append((start, field))
            masked = masked.replace(word, " " * len(word))
    return min(found)[1] if found else None


def _field_from_value(value: str) -> Optional[str]:
    """The field a new value must belong to (a phone number, an ID number, a date …)."""
    if not value:
        return None
    if find_id_number(value).error not in ("not_found",):
        return "id_number"
    if find_phone(value).ok:
        return "phone"
    if find_year_month(value, date.today()).error not in ("not_found", "year_missing"):
        return "obtained"
    if find_qualification(value):
        return "qualification"
    if find_level(value):
        return "level"
    if find_city(value):
        return "city"
    if re.fullmatch(r"[0-9A-Za-z \-]{6,40}", value):
        return "cert_number"
    if validate_name(value).ok and len(value) <= 4:
        return "applicant_name"
    return None


def _new_value(text: str) -> str:
    """The new value after 改成/应该是/不是…是, or ""."""
    for pattern in (_NEW_VALUE, _WEAK_VALUE):
        matches = list(pattern.finditer(text))
        if matches:
            value = matches[-1].group("value").strip()
            previous = None
            while previous != value:
                previous = value
                value = _TRAILING.sub("", value).strip()
            return value
    return ""


def detect_correction(text: str) -> Optional[Correction]:
    """The correction the message asks for, or None when it is not a correction."""
    try:
        value = clean(text)
        if not value or not _CUE.search(value):
            return None
        new_text = _new_value(value)
        field = _field_from_words(value) or _field_from_value(new_text)
        if field is None:
            return None
        return Correction(field, new_text)
    except Exception:  # noqa: BLE001 - never raise on user input
        return None
