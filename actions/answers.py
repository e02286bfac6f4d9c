"""One-turn answers that draw on the knowledge base: greeting, scope, hand-over, computed answers, fallback."""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, datetime
from typing import Any, Dict, List, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import fail_safe
from bot import knowledge
from bot.hall import hall_status
from bot.workdays import add_working_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
START_BUTTON = {"title": "我要申请补办", "payload": "我要申请补办证书"}
PROGRESS_BUTTON = {"title": "查询办理进度", "payload": "查询补办进度"}
# Labels for the non-FAQ intents the fallback may offer as "did you mean".
INTENT_LABELS = {
    "start_reissue": START_BUTTON,
    "check_progress": PROGRESS_BUTTON,
    "ask_completion_date": {"title": "今天申请哪天能办好", "payload": "今天申请哪天能办好"},
    "ask_hall_open": {"title": "大厅现在开门吗", "payload": "大厅现在开门吗"},
    "human_handoff": {"title": "转人工", "payload": "转人工"},
}


def faq_button(key: Text) -> Dict[Text, Text]:
    """A quick reply that asks one FAQ topic."""
    title = knowledge.faq_entries()[key].title
    return {"title": title, "payload": title}


def today_in_shandong() -> date:
    """Today's date in Shandong's time zone."""
    return datetime.now(SHANGHAI).date()


def completion_text(start: date) -> Text:
    """The expected completion date of an application made on `start`, from the working-day calendar."""
    result = add_working_days(start, int(knowledge.fact("promised_days")))
    note = f"（{result.note}）" if result.note else ""
    return knowledge.message("completion_date", today=f"{start:%Y年%m月%d日}", date=f"{result.date:%Y年%m月%d日}", note=note)


class ActionGreet(Action):
    """Greets and offers the hottest questions as quick replies."""

    def name(self) -> Text:
        """The action name."""
        return "action_greet"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Say hello with buttons."""
        buttons = [faq_button(key) for key in knowledge.hot_topics()] + [START_BUTTON, PROGRESS_BUTTON]
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
        """The key of the message in bot/knowledge/messages.yml."""

    def name(self) -> Text:
        """The action name."""
        return self.action_name

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Say the message."""
        dispatcher.utter_message(text=knowledge.message(self.message_key))
        return []


class ActionOutOfScope(KnowledgeMessageAction):
    """Says what the assistant covers and where to go instead."""

    action_name, message_key = "action_out_of_scope", "out_of_scope"


class ActionChitchat(KnowledgeMessageAction):
    """Answers small talk briefly and steers back to the service."""

    action_name, message_key = "action_chitchat", "chitchat"


class ActionHandoff(KnowledgeMessageAction):
    """The human route: hotline and hall."""

    action_name, message_key = "action_handoff", "handoff"


class ActionCompletionDate(Action):
    """"If I apply today, when will it be done?" — 65 working days from today."""

    def name(self) -> Text:
        """The action name."""
        return "action_completion_date"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Compute and say the date."""
        dispatcher.utter_message(text=completion_text(today_in_shandong()))
        return []


class ActionHallOpen(Action):
    """"Is the hall open now?" from the guide's hours and the working-day calendar."""

    def name(self) -> Text:
        """The action name."""
        return "action_hall_open"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Say whether the hall is open now."""
        status = hall_status(datetime.now(SHANGHAI))
        dispatcher.utter_message(text=knowledge.message("hall_open", status=status.message))
        return []


def suggestion_buttons(latest_message: Dict[Text, Any], limit: int = 2) -> List[Dict[Text, Text]]:
    """Buttons for the most likely topics of an unclear message (FAQ answers ranked by the selector)."""
    buttons: List[Dict[Text, Text]] = []
    faq_ranking = ((latest_message.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    faq_keys = [item.get("intent_response_key", "").split("/")[-1] for item in faq_ranking]
    for item in latest_message.get("intent_ranking") or []:
        name = item.get("name")
        if name == "faq":
            for key in faq_keys:
                if key in knowledge.faq_entries() and faq_button(key) not in buttons:
                    buttons.append(faq_button(key))
                    break
            faq_keys = faq_keys[1:]
        elif name in INTENT_LABELS and INTENT_LABELS[name] not in buttons:
            buttons.append(INTENT_LABELS[name])
        if len(buttons) >= limit:
            break
    for key in faq_keys:
        if len(buttons) >= limit:
            break
        if key in knowledge.faq_entries() and faq_button(key) not in buttons:
            buttons.append(faq_button(key))
    return buttons[:limit]


class ActionDefaultAskAffirmation(Action):
    """First stage of the fallback: "did you mean…" with the two most likely topics as buttons."""

    def name(self) -> Text:
        """The action name."""
        return "action_default_ask_affirmation"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Offer the likely topics."""
        buttons = suggestion_buttons(tracker.latest_message) + [{"title": "都不是", "payload": "/deny"}]
        dispatcher.utter_message(text="抱歉，我不太确定您想问什么。您是想了解下面哪一个？", buttons=buttons)
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
