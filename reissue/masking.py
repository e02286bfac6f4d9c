"""Masking personal data for display and logs: ID numbers, phone numbers, names, WeChat openids; the only place
a masking rule is written."""
from __future__ import annotations

import re
from typing import Any, List, Tuple

from reissue.parsing.text import number_candidates, to_halfwidth

# 18-character IDs, old 15-digit IDs and any longer digit run (bank cards …) are masked alike.
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9])")
_PHONE_LIKE = re.compile(r"(?<![0-9])(?:0086|86)?(?P<phone>1[3-9][0-9]{9})(?![0-9])")


def _compact(value: Any) -> str:
    """A number as text: half-width, without spaces and dashes ("" for None)."""
    return re.sub(r"[\s\-]", "", to_halfwidth(str(value or "")))


def mask_last4(value: Any) -> str:
    """"370102199003071238" → "**************1238": only the last four characters stay (what is stored)."""
    text = _compact(value)
    if len(text) > 4:
        return "*" * (len(text) - 4) + text[-4:]
    return "*" * len(text)


def mask_id(value: Any) -> str:
    """"370102199003071238" → "370102********1238"; other lengths keep at most the last four."""
    text = _compact(value)
    if len(text) >= 15:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return mask_last4(text)


def mask_phone(value: Any) -> str:
    """"13812345678" → "138****5678"; other lengths keep at most the last four."""
    text = _compact(value)
    if len(text) == 11:
        return text[:3] + "****" + text[-4:]
    return mask_last4(text)


def mask_name(value: Any) -> str:
    """"张三" → "张*", "欧阳娜娜" → "欧***"; the middle dot of minority names stays."""
    text = str(value or "").strip()
    if not text:
        return ""
    if len(text) == 1:
        return "*"
    return text[0] + "".join("·" if char == "·" else "*" for char in text[1:])


def mask_openid(openid: Any) -> str:
    """A WeChat openid safe for logs: the first 4 and last 2 characters only ("-" when absent)."""
    text = str(openid or "")
    if not text:
        return "-"
    if len(text) <= 8:
        return text[:2] + "***"
    return f"{text[:4]}***{text[-2:]}"


def _spans(text: str) -> List[Tuple[int, int, str]]:
    """Every ID-like and phone-like number in `text` with its masked form."""
    spans: List[Tuple[int, int, str]] = []
    for match in _ID_LIKE.finditer(text):
        spans.append((match.start(), match.end(), mask_id(match.group(0))))
    for start, end, digits in number_candidates(text, 18, last_may_be_x=True):
        spans.append((start, end, mask_id(digits)))
    for match in _PHONE_LIKE.finditer(text):
        start = match.start("phone")
        spans.append((start, match.end(), mask_phone(match.group("phone"))))
    for start, end, digits in number_candidates(text, 11):
        if re.fullmatch(r"1[3-9][0-9]{9}", digits):
            spans.append((start, end, mask_phone(digits)))
    return spans


def scrub(text: Any) -> str:
    """`text` with every ID-like and phone-like number masked; safe for logs, never raises."""
    try:
        value = text if isinstance(text, str) else str(text)
        # to_halfwidth maps character for character, so positions found in it hold in `value`.
        spans = sorted(_spans(to_halfwidth(value)), key=lambda span: (span[0], -(span[1] - span[0])))
        out: List[str] = []
        position = 0
        for start, end, masked in spans:
            if start < position:
                continue
            out.append(value[position:start])
            out.append(masked)
            position = end
        out.append(value[position:])
        return "".join(out)
    except Exception:  # noqa: BLE001
        return "[内容已隐藏]"
