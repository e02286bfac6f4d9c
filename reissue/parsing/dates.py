"""Year and month of obtaining a certificate ("2015年5月", "15年5月", "二〇一五年五月", "2015.05" …)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Optional

from reissue.knowledge import message
from reissue.parsing.result import Parsed
from reissue.parsing.text import clean

EARLIEST_YEAR = 1950
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "两": 2}
_CN_YEAR = "[〇○零一二三四五六七八九]"
_CN_MONTH = r"十[一二]?|[一二三四五六七八九]"
_MONTH = rf"(?P<month>[0-9]{{1,2}}|{_CN_MONTH})\s*月"
_YEAR_CN = rf"(?P<year>[0-9]{{4}}|[0-9]{{2}}|{_CN_YEAR}{{4}}|{_CN_YEAR}{{2}})\s*年"
_RELATIVE = r"(?P<relative>今年|去年|前年|大前年)"

_PATTERNS = [
    # 2015年5月, 15年5月, 二〇一五年五月, 2015年的5月
    re.compile(rf"(?<![0-9]){_YEAR_CN}\s*(?:的)?\s*{_MONTH}"),
    # 去年5月
    re.compile(rf"{_RELATIVE}\s*(?:的)?\s*{_MONTH}"),
    # 2015.05, 2015-5, 2015/05, 2015.5.20, 2015-05-20
    re.compile(r"(?<![0-9])(?P<year>(?:19|20)[0-9]{2})\s*[./\-]\s*(?P<month>[0-9]{1,2})(?:\s*[./\-]\s*[0-9]{1,2})?(?![0-9])"),
    # 201505, 20150520
    re.compile(r"(?<![0-9])(?P<year>(?:19|20)[0-9]{2})(?P<month>0[1-9]|1[0-2])(?:[0-3][0-9])?(?![0-9])"),
]
_YEAR_ONLY = [
    re.compile(rf"(?<![0-9]){_YEAR_CN}"),
    re.compile(_RELATIVE),
    re.compile(r"(?<![0-9])(?P<year>(?:19|20)[0-9]{2})(?![0-9])"),
]

_MONTH_ONLY = re.compile(rf"(?<![0-9]){_MONTH}")


@dataclass(frozen=True)
class _Found:
    """A year, and a month when the text gives one."""

    year: int
    month: Optional[int]


def _cn_number(text: str) -> Optional[int]:
    """Read digits or a Chinese numeral ("二〇一五" digit by digit, "十二" as a number)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    if all(char in _CN_DIGITS for char in text):
        return int("".join(str(_CN_DIGITS[char]) for char in text))
    return None


def _year(raw: Optional[str], relative: Optional[str], today: date) -> Optional[int]:
    """A four-digit year from a matched year text or a relative word; two digits read as the latest past."""
    if relative:
        return today.year - {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}[relative]
    if raw is None:
        return None
    number = _cn_number(raw)
    if number is None:
        return None
    if len(raw) == 2:
        number += 2000 if 2000 + number <= today.year else 1900
    return number


def _scan(text: str, today: date) -> Optional[_Found]:
    """The first year-and-month in `text`, else the first year alone."""
    for pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            year = _year(groups.get("year"), groups.get("relative"), today)
            month = _cn_number(groups["month"])
            if year is not None and month is not None:
                return _Found(year, month)
    for pattern in _YEAR_ONLY:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            year = _year(groups.get("year"), groups.get("relative"), today)
            if year is not None:
                return _Found(year, None)
    return None


def _check(found: _Found, today: date, min_year: Optional[int]) -> Parsed[str]:
    """Turn a scanned year/month into a result, rejecting impossible dates."""
    if found.month is None:
        return Parsed.failure("month_missing", message("parse_date_month_missing", year=found.year))
    if not 1 <= found.month <= 12:
        return Parsed.failure("month_invalid", message("parse_date_month_invalid", month=found.month))
    if found.year < EARLIEST_YEAR:
        return Parsed.failure("too_early", message("parse_date_too_early", year=found.year))
    if (found.year, found.month) > (today.year, today.month):
        return Parsed.failure("future", message("parse_date_future", year=found.year, month=found.month))
    if min_year is not None and found.year < min_year:
        return Parsed.failure("before_first_year", message("parse_date_before_first_year", min_year=min_year, year=found.year))
    return Parsed.success(f"{found.year:04d}-{found.month:02d}")


def find_year_month(text: str, today: date, min_year: Optional[int] = None) -> Parsed[str]:
    """The year and month in free text ("我2015年5月考的一级建造师") as "YYYY-MM"."""
    try:
        cleaned = clean(text)
        found = _scan(cleaned, today)
        if found is None and _MONTH_ONLY.search(cleaned):
            return Parsed.failure("year_missing", message("parse_date_year_missing"))
        if found is None:
            return Parsed.failure("not_found", message("parse_date_not_found"))
        return _check(found, today, min_year)
    except Exception:  # noqa: BLE001 - never raise on user input
        return Parsed.failure("not_found", message("parse_date_not_found"))


def parse_year_month(text: str, today: date, min_year: Optional[int] = None) -> Parsed[str]:
    """Parse an answer to "取得证书的年月?" as "YYYY-MM"; year only → error "month_missing".

    `min_year` (the qualification's first_year) rejects years before the qualification existed.
    """
    return find_year_month(text, today, min_year)


# "我的证书是2015年的", "2012年考的一建", "15年拿的证" — but not "2017年以前的证书" (a rule, not a certificate).
_CERT_YEAR = re.compile(
    r"(?<![0-9])(?P<year>(?:19|20)[0-9]{2}|[0-9]{2})\s*年(?!以前|之前|以后|之后|前|后|及以后|开始|起)"
    r"(?:[0-9]{1,2}月)?(?:份)?(?:的|就)?(?:时候)?(?:考|取得|拿|获得|发|颁发|印制|领|通过|证|下证|的证|的)"
)


def certificate_year(text: str, today: date) -> Optional[int]:
    """The year a message says the holder's certificate is from, or None ("2017年以前…" is no such year)."""
    try:
        match = _CERT_YEAR.search(clean(text))
        if not match:
            return None
        year = _year(match.group("year"), None, today)
        return year if year is not None and EARLIEST_YEAR <= year <= today.year else None
    except Exception:  # noqa: BLE001 - never raise on user input
        return None
