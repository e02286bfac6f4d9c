"""Submitting the application (outbox first, then the backend) and cancelling it."""
from __future__ import annotations

import hashlib
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import can_upload_photo, channel_of, fail_safe
from actions.wiring import backend_client, outbox
from reissue import clock, knowledge
from reissue.application import APPLICATION_FIELDS, FORM_FIELDS, channel_or_default
from reissue.workdays import add_working_days

logger = logging.getLogger(__name__)

FORM_SLOTS = FORM_FIELDS + ("stop_reason", "form_failures", "requested_slot")


def clear_form_slots() -> List[EventType]:
    """Events that forget everything the applicant typed into the form."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def build_application(slots: Dict[Text, Any], channel: Text, sender_id: Text) -> Dict[Text, Any]:
    """The backend's application body from the form's slots."""
    application = {field: slots.get(field) for field in APPLICATION_FIELDS}
    application["reason"] = slots.get("reissue_reason")
    application["channel"] = channel_or_default(channel)
    application["sender_ref"] = hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:16]
    return application


def idempotency_key(tracker: Tracker) -> Text:
    """A key fixed by the confirming message, so a re-run of this action can never file twice."""
    last_user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    seed = f"{tracker.sender_id}:{last_user.get('timestamp')}:{last_user.get('message_id')}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]  # the outbox key column holds 32


def next_steps_text() -> Text:
    """What happens after submission, with the expected completion date."""
    result = add_working_days(clock.today(), int(knowledge.fact("promised_days")))
    note = f"（{result.note}）" if result.note else ""
    return knowledge.message("next_steps", date=clock.chinese_date(result.date), note=note)


def rating_request(tracker: Tracker, reference: Optional[Text]) -> Optional[Dict[Text, Any]]:
    """The satisfaction-rating prompt for front ends that can show it."""
    return {"type": "rating", "application_number": reference} if can_upload_photo(tracker) else None


class ActionSubmitApplication(Action):
    """Files the confirmed application: stored durably first, then delivered exactly once."""

    def name(self) -> Text:
        """The action name."""
        return "action_submit_application"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Submit, or explain why nothing is submitted."""
        if tracker.get_slot("stop_reason") or tracker.get_slot("confirmed") != "yes":
            dispatcher.utter_message(response="utter_nothing_submitted")
            return clear_form_slots()
        application = build_application(tracker.current_slot_values(), channel_of(tracker), tracker.sender_id)
        box = outbox()
        item = box.put(application, idempotency_key(tracker))
        outcome = await box.deliver(item.key, backend_client())
        events = clear_form_slots()
        if outcome.kind in ("submitted", "duplicate"):
            dispatcher.utter_message(text=knowledge.message("submit_accepted", number=outcome.number))
            dispatcher.utter_message(text=next_steps_text())
            box.purge_personal_data(item.key)
            events.append(SlotSet("application_number", outcome.number))
        elif outcome.kind == "rejected":
            logger.warning("backend rejected application %s: %s", item.reference, outcome.message)
            reason = outcome.message or knowledge.message("submit_rejected_default")
            dispatcher.utter_message(text=knowledge.message("submit_rejected", reason=reason))
            dispatcher.utter_message(text=knowledge.message("handoff"))
        else:
            dispatcher.utter_message(text=knowledge.message("queued", reference=item.reference))
            events.append(SlotSet("application_number", item.reference))
        rating = rating_request(tracker, next((e["value"] for e in events if e["name"] == "application_number"), None))
        if rating:
            dispatcher.utter_message(text=knowledge.message("rating_request"), json_message=rating)
        return events


class ActionCancelForm(Action):
    """Quits the application at any point; nothing is submitted."""

    def name(self) -> Text:
        """The action name."""
        return "action_cancel_form"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Cancel and forget the form's data."""
        if tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_cancelled")
        else:
            dispatcher.utter_message(text=knowledge.message("nothing_to_cancel"))
        return [ActiveLoop(None)] + clear_form_slots() + [SlotSet("progress_number", None), SlotSet("progress_id_last4", None)]
