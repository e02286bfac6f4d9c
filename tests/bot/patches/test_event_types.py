"""The event-type patch: every type name resolves to Rasa's own class, misses behave as in Rasa."""
from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot import patches
from bot.patches.event_types import resolve_event_type


@pytest.mark.parametrize("cls", [c for c in all_subclasses(Event) if c.type_name != "event"])
def test_every_event_type_resolves_to_rasas_class(cls: type) -> None:
    """Each event type name gives the class Rasa's own lookup gives, also the second time (cached)."""
    expected = Event.resolve_by_type(cls.type_name)
    assert resolve_event_type(cls.type_name) is expected
    assert resolve_event_type(cls.type_name) is expected


def test_unknown_types_behave_as_in_rasa() -> None:
    """Unknown names raise, or give the default; the legacy "topic" gives None; nothing wrong is cached."""
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_event_type("no_such_event")
    assert resolve_event_type("no_such_event", default=SlotSet) is SlotSet
    assert resolve_event_type("topic") is None
    with pytest.raises(ValueError):
        resolve_event_type("no_such_event")


def test_events_round_trip_with_the_patch_installed() -> None:
    """Deserialising stored events through the installed patch gives equal events."""
    patches.install(["event_types"])
    try:
        events = [ActionExecuted("action_listen"), UserUttered("补办要钱吗", {"name": "faq", "confidence": 0.9}),
                  SlotSet("level", "一级")]
        assert Event.resolve_by_type("user") is UserUttered
        assert [Event.from_parameters(e.as_dict()) for e in events] == events
    finally:
        patches.uninstall(["event_types"])
    assert Event.__dict__["resolve_by_type"].__func__ is not resolve_event_type
