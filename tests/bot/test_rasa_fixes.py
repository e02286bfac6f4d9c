"""The Rasa fixes: same verdicts as Rasa's own validation, installed only on request."""
from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_fixes import install_rasa_fixes, resolve_event_type, uninstall_rasa_fixes, validate_action_result

GOOD: Dict[str, Any] = {
    "events": [{"event": "slot", "name": "level", "value": "一级", "timestamp": None}],
    "responses": [{"text": "好的"}],
}
BAD_EVENT: Dict[str, Any] = {"events": [{"event": "no_such_event"}], "responses": []}
BAD_RESPONSES: Dict[str, Any] = {"events": [], "responses": "好的"}


@pytest.fixture
def action() -> Iterator[RemoteAction]:
    """A remote action, with Rasa's own code restored afterwards."""
    yield RemoteAction("validate_reissue_form", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    uninstall_rasa_fixes()


@pytest.mark.parametrize("result", [GOOD, BAD_EVENT, BAD_RESPONSES, {}])
def test_same_verdict_as_rasa(action: RemoteAction, result: Dict[str, Any]) -> None:
    """Valid answers pass and invalid ones raise, exactly as with Rasa's jsonschema.validate."""
    try:
        expected = action._validate_action_result(result)
    except ValidationError:
        expected = None
    if expected is None:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            validate_action_result(action, result)
    else:
        assert validate_action_result(action, result) is True


def test_installed_only_when_asked_and_idempotent(action: RemoteAction) -> None:
    """Importing changes nothing; installing twice swaps in the cached validation once."""
    assert RemoteAction._validate_action_result is not validate_action_result
    install_rasa_fixes()
    install_rasa_fixes()
    assert RemoteAction._validate_action_result is validate_action_result
    with pytest.raises(ValidationError):
        action._validate_action_result(BAD_EVENT)


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


def test_events_round_trip_with_the_fix_installed(action: RemoteAction) -> None:
    """Deserialising stored events through the installed fix gives equal events."""
    install_rasa_fixes()
    events = [ActionExecuted("action_listen"), UserUttered("补办要钱吗", {"name": "faq", "confidence": 0.9}),
              SlotSet("level", "一级")]
    assert [Event.from_parameters(e.as_dict()) for e in events] == events
