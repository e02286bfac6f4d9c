"""Business validation of an application beyond its JSON shape: ID, phone, dates, lexicon."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict, Optional

from backend.schemas import ApplicationIn
from reissue import knowledge
from reissue.application import CERT_NUMBER_UNKNOWN_ANSWERS
from reissue.lexicon import exact_city, get_qualification
from reissue.parsing.id_number import validate_id_number
from reissue.parsing.phone import validate_phone

# Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the marks LRM, RLM, ALM:
# they reorder what staff read on screen.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


@dataclass(frozen=True)
class CleanApplication:
    """An application whose every field has been checked and normalised."""

    reason: str
    qualification: str
    level: Optional[str]
    specialty: Optional[str]
    obtained: str
    applicant_name: str
    id_number: str
    cert_number: Optional[str]
    cert_number_unknown: bool
    city: str
    phone: str
    photo_ref: Optional[str]
    channel: str
    sender_ref: Optional[str]


def _blank_to_none(value: Optional[str]) -> Optional[str]:
    """Strip a text; empty becomes None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def has_hidden_characters(text: str) -> bool:
    """True when `text` holds a C0 or C1 control character (category Cc: U+0000–U+001F, U+007F–U+009F) or a
    bidirectional control."""
    return any(char in BIDI_CONTROLS or unicodedata.category(char) == "Cc" for char in text)


def check_obtained(obtained: str, first_year: Optional[int], now: datetime) -> Optional[str]:
    """A Chinese message when the month is in the future or before the qualification existed."""
    year, month = int(obtained[:4]), int(obtained[5:7])
    if (year, month) > (now.year, now.month):
        return "取得年月不能晚于本月。"
    if first_year and year < int(first_year):
        return f"这个资格从{first_year}年才开始考试，取得年月不能早于{first_year}年。"
    if year < 1949:
        return "取得年月太早了，请核对。"
    return None


def clean_application(
    data: ApplicationIn, now: datetime, photo_exists: Callable[[str], bool]
) -> "tuple[Optional[CleanApplication], Dict[str, str]]":
    """Check every field; return the clean application or the Chinese messages by field."""
    fields: Dict[str, str] = {}
    qualification = get_qualification(data.qualification.strip())
    level = _blank_to_none(data.level)
    if qualification is None:
        fields["qualification"] = "没有找到这个资格名称，请按证书上的名称填写。"
    elif level and not qualification.levels:
        fields["level"] = "这个资格不分级别，请不要填写级别。"
    elif level and level not in qualification.levels:
        fields["level"] = "这个资格的级别只有：" + "、".join(qualification.levels) + "。"
    obtained_error = check_obtained(data.obtained, getattr(qualification, "first_year", None), now)
    if obtained_error:
        fields["obtained"] = obtained_error
    name = data.applicant_name.strip()
    if has_hidden_characters(name):
        fields["applicant_name"] = knowledge.message("backend_name_hidden_characters")
    elif not name or any(ch.isdigit() for ch in name):
        fields["applicant_name"] = "请填写证书上的姓名。"
    id_check = validate_id_number(data.id_number)
    if not id_check.ok:
        fields["id_number"] = id_check.message or "身份证号码校验没有通过，请核对每一位，特别是最后一位。"
    phone_check = validate_phone(data.phone)
    if not phone_check.ok:
        fields["phone"] = phone_check.message or "这个手机号码不正确，请填写11位的大陆手机号码。"
    city = exact_city(data.city.strip())
    if city is None:
        fields["city"] = "请填写山东省16个地市之一，例如“济南市”。"
    photo_ref = data.photo_ref
    if photo_ref and not photo_exists(photo_ref):
        fields["photo_ref"] = "没有找到这张照片，请重新上传。"
    cert = _blank_to_none(data.cert_number)
    cert_unknown = cert is None or cert in CERT_NUMBER_UNKNOWN_ANSWERS
    if fields:
        return None, fields
    return (
        CleanApplication(
            reason=data.reason,
            qualification=qualification.name,
            level=level,
            specialty=_blank_to_none(data.specialty),
            obtained=data.obtained,
            applicant_name=name,
            id_number=id_check.value.upper(),
            cert_number=None if cert_unknown else cert,
            cert_number_unknown=cert_unknown,
            city=city,
            phone=phone_check.value,
            photo_ref=photo_ref,
            channel=data.channel,
            sender_ref=_blank_to_none(data.sender_ref),
        ),
        {},
    )
