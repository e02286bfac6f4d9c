"""The hand-over to a person: during staffed hours a widget conversation enters the live queue with a masked
summary (the widget then carries the user's messages to the person and shows the replies); outside them the hotline,
the hall and an offer to leave a callback number (widget and WeChat); when the backend takes neither, the hotline and
the hall. An abstention offers the 转人工 button while a person is there."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import wiring
from actions.common import channel_of, fail_safe
from reissue import clock, knowledge
from reissue.answering.plan import NOT_IN_GUIDE
from reissue.callback import offer_text
from reissue.handoff import conversation_summary, staffed
from reissue.settings import get_settings

# The front ends that show a person's replies as they come (the widget polls the backend).
LIVE_CHANNELS = {"web"}
WECHAT, CONSOLE = "wechat", "console"


def offers_callback(channel: str) -> bool:
    """True for the front ends that carry the callback dialogue: the widget, and WeChat in console mode."""
    return channel in LIVE_CHANNELS or (channel == WECHAT and get_settings().wechat_handoff == CONSOLE)


def abstention_buttons(plan: Mapping[str, Any], channel: str) -> List[Dict[Text, Text]]:
    """The 转人工 button for a reply that abstains ("the guide doesn't say"), while a person can take it over."""
    abstained = any(str(q.get("label")) == NOT_IN_GUIDE for q in plan.get("questions") or [])
    if abstained and offers_callback(channel) and staffed(clock.now(), get_settings().handoff_hours):
        return [knowledge.button("handoff")]
    return []


def recent_turns(tracker: Tracker) -> List[Tuple[str, str]]:
    """The conversation's user and bot texts, oldest first."""
    turns: List[Tuple[str, str]] = []
    for event in tracker.events:
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text"):
            turns.append((str(kind), str(event["text"])))
    return turns


def tracker_summary(tracker: Tracker) -> Dict[str, Any]:
    """What staff read in the queue: topic, the form's fields so far (masked), the field being asked, the turns."""
    return conversation_summary(tracker.active_loop_name, tracker.current_slot_values(), recent_turns(tracker),
                                tracker.get_slot("requested_slot"))


class ActionHandoff(Action):
    """"转人工": a person in the live queue when one is there, else the hotline and the hall."""

    def name(self) -> Text:
        """The action name."""
        return "action_handoff"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Queue the conversation, or give the human route by phone and in person."""
        channel = channel_of(tracker)
        if not offers_callback(channel):
            dispatcher.utter_message(text=knowledge.message("handoff"))
            return []
        if not staffed(clock.now(), get_settings().handoff_hours):
            return await self.offer_callback(dispatcher, tracker, channel)
        if channel not in LIVE_CHANNELS:  # WeChat's own channel queues it; here only when it could not
            dispatcher.utter_message(text=knowledge.message("handoff"))
            return []
        entry = await wiring.handoff_client().open(channel, tracker_summary(tracker))
        if entry is None:
            dispatcher.utter_message(text=knowledge.message("handoff"))
            return []
        dispatcher.utter_message(text=knowledge.message("handoff_queued", ahead=entry.ahead),
                                 json_message={"type": "handoff", "handoff_id": entry.id, "token": entry.token})
        # In a form, the form's question waits until the person hands back (it is not asked again now).
        return [FollowupAction("action_listen")] if tracker.active_loop_name else []

    async def offer_callback(self, dispatcher: CollectingDispatcher, tracker: Tracker, channel: str) -> List[EventType]:
        """Outside staffed hours: the hall's hours, the hotline and the hall, and the offer to leave a number."""
        said = knowledge.message("handoff_off_hours") + "\n" + knowledge.message("handoff")
        conversation = tracker.sender_id if channel == WECHAT else ""
        offer = await wiring.handoff_client().offer_callback(channel, tracker_summary(tracker), conversation)
        if offer is None:
            dispatcher.utter_message(text=said)
            return []
        said += "\n" + offer_text(get_settings().callback_retention_days)
        if offer.token:
            dispatcher.utter_message(text=said, json_message={"type": "callback", "callback_id": offer.id,
                                                              "token": offer.token})
        else:
            dispatcher.utter_message(text=said)
        # In a form, its question waits until the offer is answered (the widget then says where the form was).
        return [FollowupAction("action_listen")] if tracker.active_loop_name else []
