"""The certificate management number (管理号): accepted loosely, its format is not published."""
from __future__ import annotations

import re

from reissue.application import CERT_NUMBER_UNKNOWN, DONT_KNOW_WORDS
from reissue.knowledge import message
from reissue.parsing.id_number import validate_id_number
from reissue.parsing.phone import MOBILE
from reissue.parsing.result import Parsed
from reissue.parsing.text import clean

DONT_KNOW = CERT_NUMBER_UNKNOWN
MIN_LENGTH = 6
MAX_LENGTH = 30
# "Don't know", and the ways of saying the certificate shows none.
_DONT_KNOW = re.compile("|".join(DONT_KNOW_WORDS + ("没有", "没印", "找不到", "查不到", "没注意", "^无$", "^没$", "^不详$")))
_LEAD_IN = re.compile(r"^(?:我的)?(?:证书)?(?:管理号|编号|证书号)(?:码)?(?:是|为)?:?")
_STRIP = re.compile(r"[\s\-‐‑‒–—―－_]")
_CUE = re.compile(r"(?:证书管理号|管理号|证书编号|证书号)(?:码)?\s*(?:是|为)?\s*:?\s*")


def validate_cert_number(text: str) -> Parsed[str]:
    """Validate an answer to "证书管理号?": 6–30 letters/digits, or the sentinel "不记得"."""
    try:
        value = _STRIP.sub("", clean(text))
        value = _LEAD_IN.sub("", value).rstrip("。.!！,，")
        if _DONT_KNOW.search(value):
            return Parsed.success(DONT_KNOW)
        if not value:
            return Parsed.failure("empty", message("parse_cert_number_empty"))
        if not re.fullmatch(r"[0-9A-Za-z]+", value):
            return Parsed.failure("bad_char", message("parse_cert_number_bad_char"))
        value = value.upper()
        if len(value) == 18 and validate_id_number(value).ok:
            return Parsed.failure("looks_like_id", message("parse_cert_number_looks_like_id"))
        if len(value) == 11 and MOBILE.fullmatch(value):
            return Parsed.failure("looks_like_phone", message("parse_cert_number_looks_like_phone"))
        if len(value) < MIN_LENGTH:
            return Parsed.failure("too_short", message("parse_cert_number_too_short", length=len(value)))
        if len(value) > MAX_LENGTH:
            return Parsed.failure("too_long", message("parse_cert_number_too_long", length=len(value)))
        return Parsed.success(value)
    except Exception:  # noqa: BLE001 - never raise on user input
        return Parsed.failure("invalid", message("parse_cert_number_invalid"))


def find_cert_number(text: str) -> Parsed[str]:
    """A management number given after a cue ("管理号是…", "证书编号：…") in free text."""
    try:
        value = clean(text)
        match = _CUE.search(value)
        if not match:
            return Parsed.failure("not_found", message("parse_cert_number_not_found"))
        rest = value[match.end():]
        if _DONT_KNOW.match(rest) or re.match(r"(?:我)?(?:也)?(?:不记得|忘了|忘记|不知道|记不清|不清楚)", rest):
            return Parsed.success(DONT_KNOW)
        number = re.match(r"[0-9A-Za-z][0-9A-Za-z \-]*[0-9A-Za-z]", rest)
        if not number:
            return Parsed.failure("not_found", message("parse_cert_number_not_found"))
        return validate_cert_number(number.group(0))
    except Exception:  # noqa: BLE001
        return Parsed.failure("not_found", message("parse_cert_number_not_found"))
