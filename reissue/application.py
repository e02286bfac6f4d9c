"""The application contract shared by the form, the actions, the backend and the lookup: the fields and their
order, the reasons, the channels, the formats of the numbers the applicant is given, the "don't know" words."""
from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

# The form's fields in the order they are asked (some apply only to some applicants); `confirmed` ends it.
FORM_FIELDS: Tuple[str, ...] = (
    "reissue_reason", "ever_collected", "has_ecert", "qualification", "level", "specialty", "obtained",
    "applicant_name", "id_number", "cert_number", "city", "phone", "photo_ref", "confirmed",
)
# How each field is named to the applicant (corrections, the summary).
FIELD_LABELS: Dict[str, str] = {
    "reissue_reason": "补办原因", "ever_collected": "是否领取过证书", "has_ecert": "电子证书情况",
    "qualification": "证书名称", "level": "级别", "specialty": "专业", "obtained": "取得年月",
    "applicant_name": "姓名", "id_number": "身份证号", "cert_number": "证书管理号", "city": "受理地市",
    "phone": "手机号", "photo_ref": "照片", "confirmed": "确认",
}
# What the backend receives of them (besides `reason`, from `reissue_reason`), in the API's order.
APPLICATION_FIELDS: Tuple[str, ...] = (
    "qualification", "level", "specialty", "obtained", "applicant_name", "id_number", "cert_number", "city",
    "phone", "photo_ref",
)
# Article 16: a paper certificate lost, damaged, or not collected within the keeping period may be reissued.
REASON_LABELS: Dict[str, str] = {"lost": "遗失", "damaged": "损毁", "expired_uncollected": "超期未领取"}
REASONS: Tuple[str, ...] = tuple(REASON_LABELS)
CHANNELS: Tuple[str, ...] = ("web", "wechat", "rest", "hotline")
DEFAULT_CHANNEL = "rest"

# The application number: BF + the date in China + five digits (BF2026112704817).
APPLICATION_NUMBER_PREFIX = "BF"
APPLICATION_NUMBER = rf"{APPLICATION_NUMBER_PREFIX}\d{{13}}"
# A photo accepted by the backend: PH + 24 hex digits.
PHOTO_REF_PREFIX = "PH"
PHOTO_REF = rf"{PHOTO_REF_PREFIX}[0-9a-f]{{24}}"
# The outbox's reference while an application waits for the backend: six characters without 0/O, 1/I/L.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
REFERENCE = rf"[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"

# The management number the applicant does not remember is sent as this word.
CERT_NUMBER_UNKNOWN = "不记得"
# The specialty the applicant does not know is sent as this word.
SPECIALTY_UNKNOWN = "不清楚"
# Answers meaning "I don't know" to a question with a "don't know" option.
DONT_KNOW_WORDS: Tuple[str, ...] = ("不清楚", "不知道", "不确定", "不记得", "记不得", "记不清", "忘了", "忘记",
                                    "不晓得", "没查过", "不了解")
# Whole answers the backend takes for "no management number" (the bot sends CERT_NUMBER_UNKNOWN).
CERT_NUMBER_UNKNOWN_ANSWERS: Tuple[str, ...] = (CERT_NUMBER_UNKNOWN, "记不得", "不记得了", "忘了", "忘记了", "不知道", "没有")

_NUMBER_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z]){APPLICATION_NUMBER}(?![0-9])", re.IGNORECASE)
_PHOTO_REF_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z]){PHOTO_REF}(?![0-9A-Za-z])")
_REFERENCE_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z]){REFERENCE}(?![0-9A-Za-z])")
DONT_KNOW = re.compile("|".join(DONT_KNOW_WORDS))


def is_application_number(text: str) -> bool:
    """True for a well-formed application number (case and surrounding blanks ignored)."""
    return bool(re.fullmatch(APPLICATION_NUMBER, str(text or "").strip().upper()))


def is_photo_ref(text: str) -> bool:
    """True for a well-formed photo reference."""
    return bool(re.fullmatch(PHOTO_REF, str(text or "")))


def find_application_number(text: str) -> Optional[str]:
    """The application number written in a message, upper-cased; None when there is none."""
    found = _NUMBER_IN_TEXT.search(text or "")
    return found.group(0).upper() if found else None


def find_photo_ref(text: str) -> Optional[str]:
    """The photo reference the upload card sent in a message; None when there is none."""
    found = _PHOTO_REF_IN_TEXT.search(text or "")
    return found.group(0) if found else None


def find_reference(text: str) -> Optional[str]:
    """An outbox reference written in a message (any case); None when there is none."""
    found = _REFERENCE_IN_TEXT.search((text or "").upper())
    return found.group(0) if found else None


def channel_or_default(channel: str) -> str:
    """The channel when it is one of ours, else the default."""
    return channel if channel in CHANNELS else DEFAULT_CHANNEL
