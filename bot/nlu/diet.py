"""DIET that predicts through its one traced graph: `FastDIETClassifier`, named in config.yml.

Rasa's `RasaModel._rasa_predict` (every message) calls its `tf.function`, which on each call re-checks the
inputs against the signature to choose a traced graph — more time than the small graph itself. The
signature is fixed (`input_signature`), so there is exactly one graph: after Rasa has built it, `FastDIET`
runs that concrete function's graph directly. Same graph, same outputs; anything unexpected takes
TensorFlow's checked path. Written against rasa 3.6.21 / tensorflow 2.12 (tests/bot/nlu/test_diet.py
compares every confidence with Rasa's own DIET).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple, Type

import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.utils.tensorflow.models import DIAGNOSTIC_DATA, RasaModel, tf_utils


def call_graph(concrete: Any, specs: List[Any], batch_in: Tuple[Any, ...]) -> Any:
    """Run the concrete function on the batch: straight to the graph when every array fits its spec.

    Checking the inputs against the signature again on each call (TensorFlow's structured call) costs
    as much as running this small graph; the arrays come from Rasa's own batching, so when dtype and rank
    match they are passed as they are, and anything unexpected takes TensorFlow's checked path.
    """
    tensors = [tf.convert_to_tensor(array) for array in batch_in]
    fits = len(tensors) == len(specs) and all(
        tensor.dtype == spec.dtype and tensor.shape.rank == spec.shape.rank for tensor, spec in zip(tensors, specs)
    )
    if not fits:
        return concrete(list(batch_in))
    return concrete._call_flat(tensors, concrete.captured_inputs)


class FastDIET(DIET):
    """Rasa's DIET model, predicting through the one traced graph once Rasa has traced it."""

    def _rasa_predict(self, batch_in: Tuple[Any, ...]) -> Dict[Text, Any]:
        """Rasa's prediction, through the concrete function (Rasa's own path until the graph exists)."""
        step = getattr(self, "_tf_predict_step", None)
        if step is None or self._run_eagerly or not self.prepared_for_prediction:
            return super()._rasa_predict(batch_in)
        known = self.__dict__.get("_concrete_predict_step")
        if known is None or known[0] is not step:
            concrete = step.get_concrete_function()
            known = (step, concrete, list(concrete.structured_input_signature[0][0]))
            object.__setattr__(self, "_concrete_predict_step", known)  # beside the model, untracked by Keras
        self._training = False
        outputs = tf_utils.sync_to_numpy_or_python_type(call_graph(known[1], known[2], batch_in))
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class FastDIETClassifier(DIETClassifier):
    """DIETClassifier whose model is `FastDIET`: identical training and outputs, faster prediction."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        """The model class Rasa trains and loads."""
        return FastDIET
