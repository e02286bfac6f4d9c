"""The shared base of every form's validation: read Chinese answers, check them, explain after two misses."""
from __future__ import annotations

import inspect
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import fail_safe, latest_intent, latest_text
from reissue import knowledge
from reissue.parsing.corrections import detect_correction
from reissue.parsing.result import Parsed

logger = logging.getLogger(__name__)

# Intents that interrupt a form (answered by a rule, then the form resumes) unless the message also
# clearly carries a value for the question being asked.
INTERRUPTIONS = frozenset(
    {
        "faq", "chitchat", "out_of_scope", "human_handoff", "cancel", "ask_completion_date",
        "ask_hall_open", "greet", "goodbye", "thank", "check_progress",
    }
)
INTERRUPTION_CONFIDENCE = 0.7
MAX_FAILURES_BEFORE_HELP = 2
DIGITS_ONLY = re.compile(r"[0-9Xx\s\-]+")
# A message that asks something ("…要交钱吗？") is a question even when the NLU is unsure of the topic.
QUESTION = re.compile(r"[?？]|吗|么|呢|怎么|什么|多少|多久|哪里|哪儿|能不能|可不可以|是否")
FAILURES_SLOT = "form_failures"


@dataclass(frozen=True)
class Field:
    """How one slot is read and checked."""

    label: Text
    parse: Callable[[Text, Tracker], Union[Parsed, Awaitable[Parsed]]]  # async when it asks a service
    find: Optional[Callable[[Text, Tracker], Optional[Text]]] = None
    help: Text = ""


class ChineseFormValidationAction(FormValidationAction, ABC):
    """Base for form validation: subclasses declare `fields()`; this class does the rest.

    On every user turn inside the form it
    1. applies corrections ("姓名改成李四", "刚才身份证写错了") to any field,
    2. takes the answer to the requested slot, unless the message is clearly an interruption
       (an FAQ, "取消"...) that carries no value for it — then the form's rules answer it and resume,
    3. picks up values for other slots that the message states explicitly (several fields at once),
    4. checks each value with the field's parser; a bad one gets a precise message and the question
       again, and after two misses on the same field an explanation with an example.
    """

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """rasa_sdk's form validation, guarded so an unexpected error never reaches Rasa as a 500."""
        return await super().run(dispatcher, tracker, domain)

    @abstractmethod
    def fields(self) -> Dict[Text, Field]:
        """The form's fields by slot name."""

    def on_valid(
        self, slot: Text, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        """Hook: extra slots to set when `slot` got a valid value."""
        return {}

    @staticmethod
    def is_interruption(tracker: Tracker) -> bool:
        """Whether the latest message is an interruption rather than an answer (bare numbers never are)."""
        if DIGITS_ONLY.fullmatch(latest_text(tracker)):
            return False
        name, confidence = latest_intent(tracker)
        if name.split("/")[0] not in INTERRUPTIONS:
            return False
        return confidence >= INTERRUPTION_CONFIDENCE or bool(QUESTION.search(latest_text(tracker)))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Read candidate values for the form's slots from the latest message."""
        if not tracker.latest_message.get("text"):
            return []
        text = latest_text(tracker)
        fields = self.fields()
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        values: Dict[Text, Any] = {}

        correction = detect_correction(text)
        if correction and correction.field in fields:
            values[correction.field] = correction.new_text or None
            if not correction.new_text:
                dispatcher.utter_message(text=knowledge.message("form_restart_field", label=fields[correction.field].label))
        elif requested in fields:
            field = fields[requested]
            found = field.find(text, tracker) if field.find else None
            if found is not None:
                values[requested] = found
            elif not self.is_interruption(tracker):
                values[requested] = text

        # Two passes: a value found in this message (the qualification) can make more fields apply (its
        # specialty), so "我一建建筑工程专业的证书丢了" is not asked for the specialty again.
        for _ in range(2):
            for slot in required:
                field = fields.get(slot)
                if slot in values or field is None or field.find is None or tracker.get_slot(slot) is not None:
                    continue
                found = field.find(text, tracker)
                if found is not None:
                    values[slot] = found
                    tracker.slots[slot] = found
            required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return [SlotSet(slot, value) for slot, value in values.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Check every value set in this turn with its field's parser."""
        fields = self.fields()
        failures: Dict[Text, int] = dict(tracker.get_slot(FAILURES_SLOT) or {})
        result: Dict[Text, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            field = fields.get(slot)
            if field is None:
                continue
            if value is None:
                result[slot] = None
                continue
            parsed = field.parse(str(value), tracker)
            if inspect.isawaitable(parsed):
                parsed = await parsed
            if parsed.ok:
                result[slot] = parsed.value
                failures.pop(slot, None)
                tracker.slots[slot] = parsed.value
                result.update(self.on_valid(slot, parsed.value, dispatcher, tracker))
                continue
            failures[slot] = failures.get(slot, 0) + 1
            message = parsed.message or knowledge.message("form_error_generic", label=field.label)
            if failures[slot] >= MAX_FAILURES_BEFORE_HELP and field.help:
                message = f"{message}\n{field.help}"
            dispatcher.utter_message(text=message)
            result[slot] = None
        if failures != (tracker.get_slot(FAILURES_SLOT) or {}):
            result[FAILURES_SLOT] = failures
        for slot, value in result.items():
            tracker.slots[slot] = value
        return [SlotSet(slot, value) for slot, value in result.items()]
