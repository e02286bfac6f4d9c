"""Small helpers shared by the actions: reading the latest message and failing safely."""
from __future__ import annotations

import functools
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from reissue import knowledge
from reissue.masking import scrub
from reissue.parsing.text import normalise, to_simplified

logger = logging.getLogger(__name__)

UPLOAD_CHANNELS = {"web", "wechat"}  # the widget's upload card; a WeChat image message


def latest_text(tracker: Tracker) -> Text:
    """The latest user text, normalised and in Simplified characters."""
    return to_simplified(normalise(tracker.latest_message.get("text") or ""))


def latest_intent(tracker: Tracker) -> Tuple[Text, float]:
    """The latest intent name (retrieval intents as `faq/<key>`) and its confidence."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    name = intent.get("name") or ""
    confidence = float(intent.get("confidence") or 0.0)
    if name == "faq":
        selected = (message.get("response_selector") or {}).get("faq", {}).get("response", {})
        key = selected.get("intent_response_key")
        if key:
            name = key
    return name, confidence


def message_metadata(tracker: Tracker) -> Dict[Text, Any]:
    """The metadata the channel sent with the latest message."""
    return dict((tracker.latest_message or {}).get("metadata") or {})


def channel_of(tracker: Tracker) -> Text:
    """Which front end the user is on: web, wechat, rest, hotline."""
    channel = message_metadata(tracker).get("channel")
    if channel:
        return str(channel)
    return tracker.get_latest_input_channel() or "rest"


def can_upload_photo(tracker: Tracker) -> bool:
    """Whether the user's front end can upload a photo."""
    return channel_of(tracker) in UPLOAD_CHANNELS


ActionRun = Callable[..., Awaitable[List[Dict[Text, Any]]]]


def fail_safe(run: ActionRun) -> ActionRun:
    """Wrap an action's run(): on any error, log it without personal data and apologise politely.

    rasa_sdk would otherwise answer with a 500 whose body (the whole tracker) Rasa logs.
    """

    @functools.wraps(run)
    async def wrapper(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> List[Dict[Text, Any]]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as error:  # noqa: BLE001 - the point is to catch everything
            logger.error("action %s failed: %s", self.name(), scrub(repr(error)))
            dispatcher.utter_message(text=knowledge.message("action_sorry"))
            return []

    return wrapper


def first_entity(tracker: Tracker, entity: Text) -> Optional[Text]:
    """The first value of `entity` in the latest message, if any."""
    return next(tracker.get_latest_entity_values(entity), None)
