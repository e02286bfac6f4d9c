"""One-turn answers that draw on the knowledge base: greeting, scope, computed answers, fallback (the hand-over to a
person: actions/handoff.py)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, fail_safe
from actions.handoff import abstention_buttons
from actions.wiring import backend_client, live_answers
from reissue import clock, knowledge
from reissue.answering.render import completion_text, render_plan
from reissue.answering.unanswered import unanswered_records
from reissue.hall import hall_status

# The action labels of the answer plan the fallback may offer as "did you mean" (their buttons: messages.yml).
ACTION_LABELS = ("start_reissue", "check_progress", "completion_date", "hall_open", "handoff")


def faq_button(key: Text) -> Dict[Text, Text]:
    """A quick reply that asks one FAQ topic."""
    title = knowledge.faq_entries()[key].title
    return {"title": title, "payload": title}


class ActionGreet(Action):
    """Greets and offers the hottest questions as quick replies."""

    def name(self) -> Text:
        """The action name."""
        return "action_greet"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Say hello with buttons."""
        topics = [faq_button(key) for key in knowledge.hot_topics()]
        buttons = topics + [knowledge.button("start_reissue"), knowledge.button("check_progress")]
        dispatcher.utter_message(text=knowledge.message("greet"), buttons=buttons)
        return []


class KnowledgeMessageAction(Action, ABC):
    """An action that says one message of the knowledge base; subclasses set `action_name` and `message_key`."""

    @property
    @abstractmethod
    def action_name(self) -> Text:
        """The action's name in the domain."""

    @property
    @abstractmethod
    def message_key(self) -> Text:
        """The key of the message in reissue/knowledge/messages.yml."""

    def name(self) -> Text:
        """The action name."""
        return self.action_name

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Say the message."""
        dispatcher.utter_message(text=knowledge.message(self.message_key))
        return []


class ActionChitchat(KnowledgeMessageAction):
    """Answers small talk briefly and steers back to the service."""

    action_name, message_key = "action_chitchat", "chitchat"


class ActionAnswerQuestions(Action):
    """Answers every question of the message in one reply, from the answer plan the NLU made.

    FAQ answers, computed answers, where to go for another document, and "the guide doesn't say" with the
    human route; questions left unanswered are recorded (masked) for staff.
    """

    def name(self) -> Text:
        """The action name."""
        return "action_answer_questions"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Render the plan in the answers' current texts and record what was not answered."""
        message = tracker.latest_message or {}
        plan = message.get("answer_plan") or unclear_plan(message)
        reply = render_plan(plan, clock.now(), await live_answers().get())
        if reply.text:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons + abstention_buttons(plan, channel_of(tracker)))
        records = unanswered_records(plan, channel_of(tracker))
        if records:
            await record_all(records)
        return []


def unclear_plan(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """The plan of a message the NLU made none for: ask the person to say more (never a guessed answer)."""
    return {"questions": [{"label": "unclear", "text": message.get("text") or "", "confidence": 0.0}]}


async def record_all(records: List[Dict[Text, Any]]) -> None:
    """Send each unanswered question to the backend (one short attempt each; a failure is only logged)."""
    client = backend_client()
    for record in records:
        await client.record_unanswered(record)


class ActionCompletionDate(Action):
    """"If I apply today, when will it be done?" — 65 working days from today."""

    def name(self) -> Text:
        """The action name."""
        return "action_completion_date"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Compute and say the date."""
        dispatcher.utter_message(text=completion_text(clock.today()))
        return []


class ActionHallOpen(Action):
    """"Is the hall open now?" from the guide's hours and the working-day calendar."""

    def name(self) -> Text:
        """The action name."""
        return "action_hall_open"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Say whether the hall is open now."""
        status = hall_status(clock.now())
        dispatcher.utter_message(text=knowledge.message("hall_open", status=status.message))
        return []


def suggestion_buttons(latest_message: Dict[Text, Any], limit: int = 2) -> List[Dict[Text, Text]]:
    """Buttons for the most likely topics of an unclear message: the answer plan's guesses, best first."""
    buttons: List[Dict[Text, Text]] = []
    for question in ((latest_message.get("answer_plan") or {}).get("questions") or []):
        for guess in question.get("guesses") or []:
            label = str(guess.get("label") or "")
            if label in knowledge.faq_entries():
                button = faq_button(label)
            else:
                button = knowledge.button(label) if label in ACTION_LABELS else None
            if button and button not in buttons:
                buttons.append(button)
    return buttons[:limit]


class ActionDefaultAskAffirmation(Action):
    """First stage of the fallback: "did you mean…" with the two most likely topics as buttons."""

    def name(self) -> Text:
        """The action name."""
        return "action_default_ask_affirmation"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Offer the likely topics."""
        buttons = suggestion_buttons(tracker.latest_message) + [knowledge.button("none_of_these")]
        dispatcher.utter_message(text=knowledge.message("fallback_choose"), buttons=buttons)
        return []


class ActionDefaultFallback(Action):
    """Last stage of the fallback: apologise and give the human route; the conversation goes on."""

    def name(self) -> Text:
        """The action name."""
        return "action_default_fallback"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Apologise and hand over."""
        dispatcher.utter_message(text=knowledge.message("fallback_final") + "\n" + knowledge.message("handoff"))
        return [UserUtteranceReverted()]
