"""Applicants' names: 2–15 Chinese characters, minority names joined by the middle dot ·."""
from __future__ import annotations

import re

from reissue.knowledge import message
from reissue.parsing.result import Parsed
from reissue.parsing.text import normalise, unify_middle_dots

MIN_CHARS = 2
MAX_CHARS = 15
# CJK Unified Ideographs, Extension A, and Extensions B–F (rare characters do occur in names).
_HAN = "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002ebef\u3007"
_HAN_RE = re.compile(f"[{_HAN}]")
_LEAD_IN = re.compile(
    r"^(?:(?:我的|本人)?(?:姓名|名字)(?:是|叫|为|:)?|我叫|我是|本人是|本人叫|叫我|申请人(?:是|姓名是?)?)\s*:?\s*"
)
_TAIL = re.compile(r"[。.!！?？,，~～、\s]+$|(?:啊|呀|呢|哦|噢|吧|了|哈|嗯)+$")
# Words that show the answer is not a name at all.
_NOT_NAMES = ("证书", "补办", "身份证", "手机", "电话", "不知道", "不清楚", "没有", "谢谢", "你好", "您好", "请问",
              "什么", "怎么", "为什么", "可以", "好的", "不是", "忘了", "号码", "工程师", "建造师")
# Cues after which find_name takes the name from free text.
_CUES = re.compile(
    r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名(?:是|为|:)|姓名\s*:|(?:姓名|名字)(?:改成|改为|应该是|应为|换成)"
    r"|申请人(?:姓名)?(?:是|为|:))\s*:?\s*"
)
_STOP_WORDS = ("身份证", "手机", "电话", "证件", "证书", "号码", "今年", "想", "要", "需要", "来自", "住在", "我",
               "的", "是", "在", "考", "补")


def _dots(text: str) -> str:
    """Normalise and turn every middle-dot look-alike (and a full stop between characters) into ·."""
    value = unify_middle_dots(normalise(text))
    return re.sub(rf"(?<=[{_HAN}])\s*\.\s*(?=[{_HAN}])", "·", value)


def _strip(text: str) -> str:
    """Normalise, unify the dots, drop spaces, a lead-in and trailing punctuation or particles."""
    value = _dots(text)
    value = value.replace(" ", "")
    previous = None
    while previous != value:
        previous = value
        value = _LEAD_IN.sub("", value)
        value = _TAIL.sub("", value)
    return value


def validate_name(text: str) -> Parsed[str]:
    """Validate a name as typed ("我叫张三", "阿依古丽•买买提"); the value is the clean name."""
    try:
        return _validate(text)
    except Exception:  # noqa: BLE001 - never raise on user input
        return Parsed.failure("invalid", message("parse_name_ask"))


def _validate(text: str) -> Parsed[str]:
    """The body of `validate_name`."""
    value = _strip(text)
    if not value:
        return Parsed.failure("empty", message("parse_name_ask"))
    if any(word in value for word in _NOT_NAMES):
        return Parsed.failure("not_a_name", message("parse_name_not_a_name"))
    if re.search(r"[0-9]", value):
        return Parsed.failure("has_digit", message("parse_name_has_digit"))
    if re.search(r"[A-Za-z]", value):
        return Parsed.failure("has_latin", message("parse_name_has_latin"))
    if not all(_HAN_RE.match(char) or char == "·" for char in value):
        return Parsed.failure("bad_char", message("parse_name_bad_char"))
    if value.startswith("·") or value.endswith("·") or "··" in value:
        return Parsed.failure("bad_dot", message("parse_name_bad_dot"))
    count = len(value.replace("·", ""))
    if count < MIN_CHARS:
        return Parsed.failure("too_short", message("parse_name_too_short"))
    if count > MAX_CHARS:
        return Parsed.failure("too_long", message("parse_name_too_long", max_chars=MAX_CHARS))
    return Parsed.success(value)


def find_name(text: str) -> Parsed[str]:
    """A name given with an explicit cue ("我叫张三", "姓名：张三", "姓名改成李四"); nothing is guessed."""
    try:
        value = _dots(text)
        match = _CUES.search(value)
        if not match:
            return Parsed.failure("not_found", message("parse_name_not_found"))
        rest = re.match(rf"[{_HAN}·]+", value[match.end():].replace(" ", ""))
        if not rest:
            return Parsed.failure("not_found", message("parse_name_not_found"))
        candidate = rest.group(0)
        cut = min((candidate.find(word, MIN_CHARS) for word in _STOP_WORDS if word in candidate[MIN_CHARS:]),
                  default=-1)
        if cut >= MIN_CHARS:
            candidate = candidate[:cut]
        return validate_name(candidate)
    except Exception:  # noqa: BLE001
        return Parsed.failure("not_found", message("parse_name_not_found"))
