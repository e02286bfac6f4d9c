"""The hand-over to a person: during staffed hours a widget conversation enters the live queue with a masked
summary (the widget then carries the user's messages to the person and shows the replies); otherwise, or when
the queue cannot take it, the hotline and the hall."""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import wiring
from actions.common import channel_of, fail_safe
from reissue import clock, knowledge
from reissue.handoff import conversation_summary, staffed
from reissue.settings import get_settings

# The front ends that show a person's replies as they come (the widget polls the backend).
LIVE_CHANNELS = {"web"}


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
        if channel not in LIVE_CHANNELS:
            dispatcher.utter_message(text=knowledge.message("handoff"))
            return []
        if not staffed(clock.now(), get_settings().handoff_hours):
            dispatcher.utter_message(text=knowledge.message("handoff_off_hours") + "\n" + knowledge.message("handoff"))
            return []
        entry = await wiring.handoff_client().open(channel, tracker_summary(tracker))
        if entry is None:
            dispatcher.utter_message(text=knowledge.message("handoff"))
            return []
        dispatcher.utter_message(text=knowledge.message("handoff_queued", ahead=entry.ahead),
                                 json_message={"type": "handoff", "handoff_id": entry.id, "token": entry.token})
        # In a form, the form's question waits until the person hands back (it is not asked again now).
        return [FollowupAction("action_listen")] if tracker.active_loop_name else []
