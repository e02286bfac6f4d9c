"""The Rasa fixes: same verdicts as Rasa's own validation, installed only on request."""
from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_fixes import install_rasa_fixes, uninstall_rasa_fixes, validate_action_result

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
