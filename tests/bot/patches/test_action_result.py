"""The action-result patch: the same verdicts as Rasa's own validation, installed only on request."""
from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot import patches
from bot.patches import action_result
from bot.patches.action_result import validate_action_result

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
    action_result.uninstall()


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


def rasa_verdict(action: RemoteAction, result: Any) -> bool:
    """Whether Rasa's own validation accepts `result`."""
    try:
        return action._validate_action_result(result)
    except ValidationError:
        return False


def our_verdict(action: RemoteAction, result: Any) -> bool:
    """Whether the fix accepts `result` (it must raise Rasa's error when it does not)."""
    try:
        return validate_action_result(action, result)
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
        return False


SAMPLE_EVENTS = [
    ActionExecuted("action_listen").as_dict(), UserUttered("补办", {"name": "faq", "confidence": 0.9}).as_dict(),
    SlotSet("level", "一级").as_dict(), {"event": "active_loop", "name": "reissue_form"},
    {"event": "followup", "name": "utter_ask_level"}, {"event": "reset_slots"}, {"event": "bot", "text": "好的"},
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["event", "name", "value", "text", "x"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(st.sampled_from(SAMPLE_EVENTS) | JSON, max_size=4),
    responses=st.lists(st.fixed_dictionaries({"text": st.text(max_size=5)}) | JSON, max_size=2) | JSON,
    drop=st.sampled_from([None, "events", "responses"]),
)
def test_generated_answers_get_rasas_verdict(events: Any, responses: Any, drop: Any) -> None:
    """Answers well-formed or not — events of every kind, junk, missing keys — pass exactly when Rasa's pass."""
    action = RemoteAction("validate_reissue_form", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    result = {key: value for key, value in {"events": events, "responses": responses}.items() if key != drop}
    assert our_verdict(action, result) == rasa_verdict(action, result)


def test_installed_only_when_asked_and_idempotent(action: RemoteAction) -> None:
    """Importing changes nothing; installing twice swaps in the cached validation once."""
    assert RemoteAction._validate_action_result is not validate_action_result
    patches.install(["action_result"])
    patches.install(["action_result"])
    assert RemoteAction._validate_action_result is validate_action_result
    with pytest.raises(ValidationError):
        action._validate_action_result(BAD_EVENT)
