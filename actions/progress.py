"""The progress query: application number (or outbox reference) plus the ID number's last four digits."""
from __future__ import annotations

import asyncio
import re
from typing import Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import fail_safe
from actions.forms.base import ChineseFormValidationAction, Field
from actions.services.outbox import PENDING
from actions.wiring import backend_client, outbox
from bot.knowledge import fact
from bot.parsing.result import Parsed

NUMBER = re.compile(r"BF\d{8,16}", re.IGNORECASE)
REFERENCE = re.compile(r"(?<![0-9A-Za-z])[2-9A-HJKMNP-Z]{6}(?![0-9A-Za-z])")
LAST4 = re.compile(r"(?<![0-9])(\d{3}[0-9Xx])(?![0-9A-Za-z])")
NOT_FOUND = "没有查到与这组申请编号和身份证后4位对应的申请，请核对后再试；刚提交的申请可能要稍等几分钟。"


def find_number(text: Text, tracker: Tracker) -> Optional[Text]:
    """An application number (BF…) or a six-character outbox reference in the text."""
    found = NUMBER.search(text)
    if found:
        return found.group(0).upper()
    found = REFERENCE.search(text.upper())
    return found.group(0) if found else None


def parse_number(text: Text, tracker: Tracker) -> Parsed:
    """The application number or reference."""
    number = find_number(text, tracker)
    if number:
        return Parsed.success(number)
    return Parsed.failure("number", "申请编号以BF开头，后面是数字（例如BF2026112700001）；也可以用6位受理参考号。")


def find_last4(text: Text, tracker: Tracker) -> Optional[Text]:
    """Four characters that end an ID number, stated on their own."""
    if not tracker.get_slot("progress_number") and NUMBER.search(text):
        text = NUMBER.sub(" ", text)
    found = LAST4.search(text)
    return found.group(1).upper() if found else None


def parse_last4(text: Text, tracker: Tracker) -> Parsed:
    """The ID number's last four characters."""
    last4 = find_last4(text, tracker)
    if last4:
        return Parsed.success(last4)
    return Parsed.failure("last4", "请输入身份证号的最后4位，例如“1234”或“123X”。")


class ValidateProgressForm(ChineseFormValidationAction):
    """Validates the progress query's two fields."""

    def name(self) -> Text:
        """The action name."""
        return "validate_progress_form"

    def fields(self) -> Dict[Text, Field]:
        """The two fields of the query."""
        return {
            "progress_number": Field("申请编号", parse_number, find_number,
                                     "申请编号在提交成功时告诉过您，以BF开头；暂存时给的是6位受理参考号。"),
            "progress_id_last4": Field("身份证后4位", parse_last4, find_last4,
                                       "只需要身份证号最后4位，最后一位可能是X。"),
        }


def status_text(number: Text, last4: Text) -> Text:
    """Look the application up and describe where it stands (the same words for any mismatch)."""
    if not NUMBER.fullmatch(number):
        record = outbox().find_by_reference(number)
        if record is None:
            return NOT_FOUND
        if record.status == PENDING:
            stored_id = str((record.application or {}).get("id_number") or "")
            if not stored_id.upper().endswith(last4):
                return NOT_FOUND
            return f"参考号 {number} 的申请已安全保存，正在等待补交到办理系统，补交成功后会生成申请编号，不需要重复提交。"
        if not record.number:
            return NOT_FOUND
        number = record.number
    outcome = backend_client().get_status(number, last4)
    if outcome.kind == "found":
        lines = [f"申请编号 {outcome.number}：当前状态“{outcome.status_label or outcome.status}”。"]
        if outcome.reason:
            lines.append(f"审核意见：{outcome.reason}")
        return "\n".join(lines)
    if outcome.kind == "unavailable":
        return f"查询系统暂时连不上，请稍后再试，或拨打{fact('hotline')}咨询。"
    return NOT_FOUND


class ActionCheckProgress(Action):
    """Answers the progress query and forgets the identifiers afterwards."""

    def name(self) -> Text:
        """The action name."""
        return "action_check_progress"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Query and answer."""
        number = tracker.get_slot("progress_number")
        last4 = tracker.get_slot("progress_id_last4")
        if number and last4:
            dispatcher.utter_message(text=await asyncio.to_thread(status_text, number, last4))
        return [SlotSet("progress_number", None), SlotSet("progress_id_last4", None), SlotSet("form_failures", None)]
