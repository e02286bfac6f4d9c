"""Mainland resident ID numbers (GB 11643-1999): check digit, validation, finding one in free text."""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

from reissue.knowledge import message
from reissue.parsing.result import Parsed
from reissue.parsing.text import clean, number_candidates

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes (first two digits) of GB/T 2260, plus 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
     61, 62, 63, 64, 65, 71, 81, 82]
)
EARLIEST_BIRTH_YEAR = 1900
_STRIP = re.compile(r"[\s\-‐‑‒–—―－_.]")


def check_digit(first17: str) -> str:
    """The GB 11643 check character ("0"–"9" or "X") for the first 17 digits; "" for bad input."""
    if not isinstance(first17, str) or len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        return ""
    total = sum(int(char) * weight for char, weight in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _compact(text: str) -> str:
    """Clean the text, drop spaces, dashes and dots, upper-case x."""
    return _STRIP.sub("", clean(text)).upper()


def _strip_lead_in(value: str) -> str:
    """Remove a spoken lead-in such as "身份证号是" or "我的身份证号码:"."""
    return re.sub(r"^(?:我的)?(?:身份证|证件)?(?:号码|号)?(?:是|为)?[:：]?", "", value)


def validate_id_number(text: str, today: Optional[date] = None) -> Parsed[str]:
    """Validate an 18-character ID number; the value is the normalised number (final x → X)."""
    try:
        return _validate(text, today or date.today())
    except Exception:  # noqa: BLE001 - never raise on user input
        return Parsed.failure("invalid", message("parse_id_invalid"))


def _validate(text: str, today: date) -> Parsed[str]:
    """The body of `validate_id_number`."""
    value = _strip_lead_in(_compact(text))
    if not value:
        return Parsed.failure("empty", message("parse_id_empty"))
    if not re.fullmatch(r"[0-9X]+", value):
        found = find_id_number(text, today)
        if found.error != "not_found":
            return found
        return Parsed.failure("chars", message("parse_id_chars"))
    if len(value) == 15 and value.isdigit():
        return Parsed.failure("old_15", message("parse_id_old_15"))
    if len(value) != 18:
        return Parsed.failure("length", message("parse_id_length", length=len(value)))
    if "X" in value[:17]:
        return Parsed.failure("chars", message("parse_id_x_not_last"))
    if int(value[:2]) not in PROVINCE_CODES:
        return Parsed.failure("region", message("parse_id_region"))
    birth = _birth_date(value)
    if birth is None:
        return Parsed.failure("birth_date", message("parse_id_birth_date"))
    if birth > today:
        return Parsed.failure("birth_future", message("parse_id_birth_future"))
    if birth.year < EARLIEST_BIRTH_YEAR:
        return Parsed.failure("birth_too_early", message("parse_id_birth_too_early"))
    if check_digit(value[:17]) != value[17]:
        return Parsed.failure("check_digit", message("parse_id_check_digit"))
    return Parsed.success(value)


def _birth_date(value: str) -> Optional[date]:
    """The birth date in positions 7–14, or None when it is not a real date."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def find_id_number(text: str, today: Optional[date] = None) -> Parsed[str]:
    """Find an ID number inside free text (spaces or dashes inside tolerated).

    A valid candidate wins; otherwise the first 18-character candidate's validation error; otherwise
    error "not_found".
    """
    try:
        candidates = number_candidates(clean(text), 18, last_may_be_x=True)
    except Exception:  # noqa: BLE001
        candidates = []
    first_error: Optional[Parsed[str]] = None
    for _, _, digits in candidates:
        result = validate_id_number(digits, today)
        if result.ok:
            return result
        first_error = first_error or result
    if first_error is not None:
        return first_error
    return Parsed.failure("not_found", message("parse_id_not_found"))


def id_last4(text: str) -> str:
    """The last four characters of the ID number in `text`, or "" when there is none."""
    found = find_id_number(text)
    if found.ok and found.value:
        return found.value[-4:]
    value = _compact(text)
    return value[-4:] if re.fullmatch(r"[0-9]{17}[0-9X]", value) else ""
