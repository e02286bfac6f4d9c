"""Callback numbers: when no person can answer (nobody took the conversation in time, or it is outside staffed
hours) the user may leave a mobile number for staff to call back on a working day, after a plain consent question.

An offer is `offered` (consent asked), `asking` (the user said yes: the number is asked), then `open` (a number
left, waiting for the call), `declined` ("不用了", or the user went on with something else), `done` (staff recorded
the call) or `lapsed` (no call recorded within the retention: the number deleted). `step` is the whole dialogue,
pure: what the user's words do to the offer and what the user is told.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Dict, Optional, Tuple

from reissue.handoff import is_cancel
from reissue.knowledge import message
from reissue.masking import mask_phone
from reissue.parsing.phone import find_phone, validate_phone
from reissue.parsing.text import normalise

OFFERED, ASKING, OPEN, DONE, DECLINED, LAPSED = "offered", "asking", "open", "done", "declined", "lapsed"
STATUSES: Tuple[str, ...] = (OFFERED, ASKING, OPEN, DONE, DECLINED, LAPSED)
DIALOGUE_STATUSES: Tuple[str, ...] = (OFFERED, ASKING)
STATUS_LABELS: Dict[str, str] = {OFFERED: "已询问", ASKING: "待留号码", OPEN: "待回电", DONE: "已回电",
                                 DECLINED: "未留号码", LAPSED: "号码已到期删除"}
UNANSWERED, OFF_HOURS = "unanswered", "off_hours"
REASONS: Tuple[str, ...] = (UNANSWERED, OFF_HOURS)
REASON_LABELS: Dict[str, str] = {UNANSWERED: "排队无人接入", OFF_HOURS: "非人工服务时间"}
# An unanswered offer stops catching the user's words after this long (they went on with something else).
OFFER_TTL = timedelta(minutes=30)
MAX_MISSES = 2  # numbers that do not check out before the offer is dropped
MAX_NOTE_CHARS = 500
DEFAULT_RETENTION_DAYS = 7
_YES = re.compile(
    r"^(?:好|好的|好啊|好吧|行|可以|嗯|嗯嗯|恩|需要|要|留|留吧|留一个|是|是的|对|同意|愿意|麻烦了|麻烦你了|ok|okay|yes)"
    r"(?:[,，。.!！~～ ]*(?:好的|可以|麻烦了|谢谢|留号码|留个号码|打给我))*[。.!！~～]*$"
)


@dataclass(frozen=True)
class Step:
    """What the user's words did: the offer's new status, what the user is told (empty: the assistant answers the
    words instead, `passthrough`), the number to keep (only on the step to `open`) and whether it was a miss."""

    status: str
    reply: str = ""
    phone: Optional[str] = None
    passthrough: bool = False
    miss: bool = False


def retention_days(days: float) -> int:
    """The days a callback number is kept, as said to the user (a setting of 0 or less means the default)."""
    return int(days) if days >= 1 else DEFAULT_RETENTION_DAYS


def offer_text(days: float) -> str:
    """The consent question: what the number is for, when staff call, when it is deleted."""
    return message("callback_offer", days=retention_days(days))


def is_yes(text: str) -> bool:
    """True for a short yes to the consent question ("好的", "可以", "嗯")."""
    return bool(_YES.match(normalise(text or "").strip().lower()))


def resume_text(asking: str) -> str:
    """What follows the end of the offer: the form's question again when a form was in progress."""
    return message("handoff_resume", field=asking) if asking else message("handoff_resume_free")


def _confirmed(phone: str, days: float, asking: str) -> Step:
    """The number is kept: confirmed back masked."""
    text = message("callback_confirmed", phone=mask_phone(phone), days=retention_days(days))
    return Step(OPEN, text + "\n" + resume_text(asking), phone=phone)


def step(status: str, text: str, misses: int, days: float, asking: str = "") -> Step:
    """The offer after the user's words `text` (in status `offered` or `asking`, `misses` numbers refused so far)."""
    if is_cancel(text):
        return Step(DECLINED, message("callback_declined") + "\n" + resume_text(asking))
    if status == OFFERED:
        found = find_phone(text)
        if found.ok:  # the number straight after the consent question: the answer is yes
            return _confirmed(str(found.value), days, asking)
        if is_yes(text):
            return Step(ASKING, message("callback_ask_number"))
        return Step(DECLINED, passthrough=True)
    checked = validate_phone(text)
    if checked.ok:
        return _confirmed(str(checked.value), days, asking)
    if misses + 1 >= MAX_MISSES:
        return Step(DECLINED, message("callback_gave_up") + "\n" + message("handoff") + "\n" + resume_text(asking),
                    miss=True)
    return Step(ASKING, checked.message + message("callback_ask_again"), miss=True)
