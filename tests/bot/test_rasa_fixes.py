"""The Rasa fixes: same verdicts as Rasa's own validation, installed only on request."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


MODEL = Path(__file__).resolve().parents[2] / "models" / "reissue.tar.gz"


@pytest.mark.model
def test_concrete_function_parses_exactly_like_rasa() -> None:
    """With the trained model: every confidence of DIET is unchanged, via the one graph."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    texts = ["补办要登报吗", "多久能办好", "我的一建证书丢了想补办", "张三", "370102198805120033", "今天好累啊", "補辦要交錢嗎"]
    agent = Agent.load(str(MODEL))
    before = [asyncio.run(agent.parse_message(text)) for text in texts]
    install_rasa_fixes()
    try:
        after = [asyncio.run(agent.parse_message(text)) for text in texts]
        models = [node._component.model for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(node._component, "model", None), RasaModel)]
    finally:
        uninstall_rasa_fixes()
    assert len(models) == 1 and all("_concrete_predict_step" in model.__dict__ for model in models)
    for old, new in zip(before, after):
        assert new["intent"]["name"] == old["intent"]["name"]
        assert [i["name"] for i in new["intent_ranking"]] == [i["name"] for i in old["intent_ranking"]]
        assert [i["confidence"] for i in new["intent_ranking"]] == pytest.approx(
            [i["confidence"] for i in old["intent_ranking"]], abs=1e-6)
        assert new.get("answer_plan") == old.get("answer_plan")


def test_graph_call_fast_path_and_checked_fallback() -> None:
    """Fitting arrays go straight to the graph; others take TensorFlow's checked call: same results both ways."""
    import numpy as np
    import tensorflow as tf

    from bot.rasa_fixes import call_graph

    step = tf.function(lambda batch: batch[0] * 2.0 + tf.reduce_sum(batch[1]),
                       input_signature=[[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, 2], tf.float32)]])
    concrete = step.get_concrete_function()
    specs = list(concrete.structured_input_signature[0][0])
    batch = (np.array([1.0, 2.0], dtype=np.float32), np.ones((3, 2), dtype=np.float32))
    assert np.array_equal(call_graph(concrete, specs, batch).numpy(), concrete(list(batch)).numpy())
    other = (np.array([1, 2], dtype=np.int64), np.ones((3, 2), dtype=np.float32))
    assert np.array_equal(call_graph(concrete, specs, other).numpy(), concrete(list(other)).numpy())
    with pytest.raises(Exception):
        call_graph(concrete, specs, (np.ones((2, 2, 2), dtype=np.float32),))
