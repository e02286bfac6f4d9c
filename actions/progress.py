"""The progress query: application number (or outbox reference) plus the ID number's last four digits."""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import fail_safe
from actions.forms.base import ChineseFormValidationAction, Field
from actions.services.outbox import DEAD, PENDING, REJECTED
from actions.wiring import backend_client, outbox
from reissue import knowledge
from reissue.application import find_application_number, find_reference, is_application_number
from reissue.parsing.result import Parsed

LAST4 = re.compile(r"(?<![0-9])(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def find_number(text: Text, tracker: Tracker) -> Optional[Text]:
    """An application number (BF…) or a six-character outbox reference in the text."""
    return find_application_number(text) or find_reference(text)


def parse_number(text: Text, tracker: Tracker) -> Parsed:
    """The application number or reference."""
    number = find_number(text, tracker)
    if number:
        return Parsed.success(number)
    return Parsed.failure("number", knowledge.message("progress_error_number"))


def find_last4(text: Text, tracker: Tracker) -> Optional[Text]:
    """Four characters that end an ID number, stated on their own."""
    number = None if tracker.get_slot("progress_number") else find_application_number(text)
    if number:
        text = text.upper().replace(number, " ")
    found = LAST4.search(text)
    return found.group(1).upper() if found else None


def parse_last4(text: Text, tracker: Tracker) -> Parsed:
    """The ID number's last four characters."""
    last4 = find_last4(text, tracker)
    if last4:
        return Parsed.success(last4)
    return Parsed.failure("last4", knowledge.message("progress_error_last4"))


class ValidateProgressForm(ChineseFormValidationAction):
    """Validates the progress query's two fields."""

    def name(self) -> Text:
        """The action name."""
        return "validate_progress_form"

    def fields(self) -> Dict[Text, Field]:
        """The two fields of the query."""
        return {
            "progress_number": Field(knowledge.message("progress_label_number"), parse_number, find_number,
                                     knowledge.message("progress_help_progress_number")),
            "progress_id_last4": Field(knowledge.message("progress_label_last4"), parse_last4, find_last4,
                                       knowledge.message("progress_help_progress_id_last4")),
        }


async def status_text(number: Text, last4: Text) -> Text:
    """Look the application up and describe where it stands (the same words for any mismatch)."""
    if not is_application_number(number):
        box = outbox()
        record = box.find_by_reference(number)
        if record is None or not box.matches_id(record, last4):
            return knowledge.message("progress_not_found")
        if record.status == PENDING:
            return knowledge.message("progress_queued", reference=record.reference)
        if record.status == REJECTED:
            reason = record.message or knowledge.message("submit_rejected_default")
            return knowledge.message("progress_rejected", reference=record.reference, reason=reason)
        if record.status == DEAD:
            return knowledge.message("progress_dead", reference=record.reference)
        if not record.number:
            return knowledge.message("progress_not_found")
        number = record.number
    outcome = await backend_client().get_status(number, last4)
    if outcome.kind == "found":
        lines = [knowledge.message("progress_status", number=outcome.number, status=outcome.status_label or outcome.status)]
        if outcome.reason:
            lines.append(knowledge.message("progress_review_reason", reason=outcome.reason))
        return "\n".join(lines)
    if outcome.kind == "locked":
        return knowledge.message("progress_locked")
    if outcome.kind == "unavailable":
        return knowledge.message("progress_unavailable")
    return knowledge.message("progress_not_found")


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
            dispatcher.utter_message(text=await status_text(number, last4))
        return [SlotSet("progress_number", None), SlotSet("progress_id_last4", None), SlotSet("form_failures", None)]
