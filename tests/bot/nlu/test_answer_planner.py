"""The answer-planner component: its question classifier, the pipeline's scores, and the plan it sets."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.answer_planner import PLAN_KEY, AnswerPlanner, top_intent, training_label

EXAMPLES = [
    ("补办要交钱吗", "faq", "faq/fee"), ("补证收费吗", "faq", "faq/fee"), ("补证要多少钱", "faq", "faq/fee"),
    ("补办要多久", "faq", "faq/duration"), ("多长时间能拿到", "faq", "faq/duration"), ("几个月能办好", "faq", "faq/duration"),
    ("要登报吗", "faq", "faq/newspaper"), ("需要登报挂失吗", "faq", "faq/newspaper"), ("要在报纸上声明吗", "faq", "faq/newspaper"),
    ("能出英文版吗", "not_in_guide", None), ("能让家人代办吗", "not_in_guide", None), ("能寄到家吗", "not_in_guide", None),
    ("你好", "greet", None), ("您好啊", "greet", None), ("张三", "inform", None), ("济南", "inform", None),
]


def test_training_labels() -> None:
    assert training_label("faq", "faq/fee") == "fee"
    assert training_label("ask_completion_date", None) == "completion_date"
    assert training_label("not_in_guide", None) == "not_in_guide"


def test_top_intent_looks_under_the_fallback() -> None:
    parse = {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "faq", "confidence": 0.8}]}
    assert top_intent(parse) == ("faq", 0.8) and top_intent({}) == ("", 0.0)


@pytest.fixture(scope="module")
def planner(tmp_path_factory) -> AnswerPlanner:
    """A planner trained on a few examples, persisted and loaded back like Rasa does."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("planner")
    config = {**AnswerPlanner.get_default_config(), "answer_threshold": 0.3}
    messages = [Message({TEXT: text, INTENT: intent, **({"intent_response_key": key} if key else {})})
                for text, intent, key in EXAMPLES]
    AnswerPlanner.create(config, storage, resource, None).train(TrainingData(messages))
    return AnswerPlanner.load(config, storage, resource, None)


def parsed(text: str, ranking: Dict[str, float]) -> Message:
    """A message as the pipeline leaves it before the planner, with an intent ranking."""
    message = Message({TEXT: text})
    top = max(ranking, key=ranking.get)
    message.set(INTENT, {"name": top, "confidence": ranking[top]})
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking.items()])
    return message


def test_a_two_question_message_gets_both_answers_and_the_faq_intent(planner: AnswerPlanner) -> None:
    message = parsed("要交钱吗？多久能办好？", {"faq": 0.9, "greet": 0.1})
    planner.process([message])
    plan: Dict[str, Any] = message.get(PLAN_KEY)
    assert [q["label"] for q in plan["questions"]] == ["fee", "duration"]
    assert message.get(INTENT)["name"] == "faq"


def test_a_look_alike_changes_the_intent_to_out_of_scope(planner: AnswerPlanner) -> None:
    message = parsed("教师资格证丢了要登报吗", {"faq": 0.95})
    planner.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(PLAN_KEY)["questions"][0]["label"] == "out_of_scope:teacher"


def test_sure_form_answers_are_left_alone(planner: AnswerPlanner) -> None:
    message = parsed("张三", {"inform": 0.99})
    planner.process([message])
    assert message.get(PLAN_KEY) is None and message.get(INTENT)["name"] == "inform"


def test_a_planning_failure_keeps_the_pipelines_intent(planner: AnswerPlanner, monkeypatch) -> None:
    monkeypatch.setattr(planner._planner, "plan", lambda *a, **k: 1 / 0)
    message = parsed("要交钱吗", {"faq": 0.9})
    planner.process([message])
    assert message.get(PLAN_KEY) is None and message.get(INTENT)["name"] == "faq"


def test_a_clear_question_costs_no_embedding(planner: AnswerPlanner, monkeypatch) -> None:
    """The e5 stage runs only for what the character n-grams leave unsure."""
    calls = []
    monkeypatch.setattr("bot.nlu.answer_planner.embed",
                        lambda texts: calls.append(list(texts)) or np.zeros((len(texts), 384), dtype=np.float32))
    planner._classifier.cascade = 0.0
    message = parsed("补办要交钱吗", {"faq": 0.9})
    planner.process([message])
    assert calls == [] and message.get(PLAN_KEY)["questions"][0]["label"] == "fee"
    planner._classifier.cascade = 1.01
    planner.process([parsed("补办要交钱吗", {"faq": 0.9})])
    assert calls == [["补办要交钱吗"]]
