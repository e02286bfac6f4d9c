"""FastDIET: Rasa's DIET predicting through its one traced graph, with Rasa's own outputs."""
from __future__ import annotations

import types
from pathlib import Path

import pytest
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier

from bot.nlu.diet import FastDIET, FastDIETClassifier, call_graph


def test_the_classifier_trains_and_loads_fast_diet() -> None:
    assert issubclass(FastDIETClassifier, DIETClassifier) and FastDIETClassifier.model_class() is FastDIET
    assert issubclass(FastDIET, DIET)


MODEL = Path(__file__).resolve().parents[3] / "models" / "reissue.tar.gz"


@pytest.mark.model
def test_concrete_function_parses_exactly_like_rasa() -> None:
    """With the trained model: every confidence is what Rasa's own DIET gives, and it went via the one graph."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    texts = ["补办要登报吗", "多久能办好", "我的一建证书丢了想补办", "张三", "370102198805120033", "今天好累啊", "補辦要交錢嗎"]
    agent = Agent.load(str(MODEL))
    models = [node._component.model for node in agent.processor.graph_runner._instantiated_nodes.values()
              if isinstance(getattr(node._component, "model", None), RasaModel)]
    assert len(models) == 1 and isinstance(models[0], FastDIET)
    after = [asyncio.run(agent.parse_message(text)) for text in texts]
    assert "_concrete_predict_step" in models[0].__dict__
    rasas_own = DIET._rasa_predict  # Rasa's prediction on the same model object, for comparison
    models[0]._rasa_predict = types.MethodType(rasas_own, models[0])
    try:
        before = [asyncio.run(agent.parse_message(text)) for text in texts]
    finally:
        del models[0]._rasa_predict
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

    step = tf.function(lambda batch: batch[0] * 2.0 + tf.reduce_sum(batch[1]),
                       input_signature=[[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, 2], tf.float32)]])
    concrete = step.get_concrete_function()
    specs = list(concrete.structured_input_signature[0][0])
    batch = (np.array([1.0, 2.0], dtype=np.float32), np.ones((3, 2), dtype=np.float32))
    assert np.array_equal(call_graph(concrete, specs, batch).numpy(), concrete(list(batch)).numpy())
    other = (np.array([1, 2], dtype=np.int64), np.ones((3, 2), dtype=np.float32))
    assert np.array_equal(call_graph(concrete, specs, other).numpy(), concrete(list(other)).numpy())
    with pytest.raises((TypeError, ValueError, tf.errors.InvalidArgumentError)):
        call_graph(concrete, specs, (np.ones((2, 2, 2), dtype=np.float32),))
