"""Mainland mobile numbers: finding one in free text (never inside an ID number) and validating one."""
from __future__ import annotations

import re
from typing import List, Tuple

from reissue.knowledge import message
from reissue.parsing.result import Parsed
from reissue.parsing.text import clean, number_candidates

MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PREFIX = re.compile(r"^(?:\+?0{0,2}86)")
_STRIP = re.compile(r"[\s\-‐‑‒–—―－()（）.]")


def phone_spans(text: str) -> List[Tuple[int, int, str]]:
    """Every mobile number in already-cleaned `text` as (start, end, 11 digits)."""
    spans: List[Tuple[int, int, str]] = []
    for start, end, digits in number_candidates(text, 11):
        if MOBILE.fullmatch(digits):
            spans.append((start, end, digits))
    for start, end, digits in number_candidates(text, 13):
        if digits.startswith("86") and MOBILE.fullmatch(digits[2:]) and not any(s < end and start < e for s, e, _ in spans):
            spans.append((start, end, digits[2:]))
    return sorted(spans)


def find_phone(text: str) -> Parsed[str]:
    """The first mobile number in free text (+86, spaces and dashes tolerated), as 11 digits."""
    try:
        spans = phone_spans(clean(text))
    except Exception:  # noqa: BLE001 - never raise on user input
        spans = []
    if spans:
        return Parsed.success(spans[0][2])
    return Parsed.failure("not_found", message("parse_phone_not_found"))


def validate_phone(text: str) -> Parsed[str]:
    """Validate a mobile number given on its own; the value is the 11 digits."""
    try:
        value = _STRIP.sub("", clean(text))
        value = re.sub(r"^(?:我的)?(?:手机|电话|联系电话|联系方式)?(?:号码|号)?(?:是|为)?[:：]?", "", value)
        if not value:
            return Parsed.failure("empty", message("parse_phone_empty"))
        if value.startswith("+") or (len(value) > 11 and value.startswith(("86", "0086"))):
            value = _PREFIX.sub("", value)
        if not value.isascii() or not value.isdigit():
            found = find_phone(text)
            if found.ok:
                return found
            return Parsed.failure("chars", message("parse_phone_chars"))
        if value.startswith("0"):
            return Parsed.failure("landline", message("parse_phone_landline"))
        if len(value) != 11:
            return Parsed.failure("length", message("parse_phone_length", length=len(value)))
        if not MOBILE.fullmatch(value):
            return Parsed.failure("prefix", message("parse_phone_prefix"))
        return Parsed.success(value)
    except Exception:  # noqa: BLE001
        return Parsed.failure("invalid", message("parse_phone_invalid"))
