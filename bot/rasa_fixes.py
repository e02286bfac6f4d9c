"""Fixes to Rasa 3.6 itself, installed by our channels when the Rasa server builds them (never at import).

`RemoteAction._validate_action_result` calls `jsonschema.validate`, which first checks the constant
response schema against the JSON-Schema meta-schema, on every action-server answer. The profile of a
form turn put 64 % of Rasa's time there (docs/benchmarks.md). The replacement checks the same answer
against the same schema with a validator built once — first the compiled (Rust) `jsonschema_rs` one,
because even a prepared Python validator spent ~3 ms per answer trying each event's `oneOf` branches —
and only for an answer it rejects asks Python's `jsonschema` for the same error Rasa raises.

`Event.resolve_by_type` walks every subclass of `Event` (recursively, checking each for abstractness) for
every event it deserialises — each turn rebuilds the tracker from its stored events, ~10 % of a form
turn. The replacement remembers the class found for each type name and asks Rasa only on a miss.

`RasaModel._rasa_predict` (DIET, every message) calls its `tf.function`, which
on each call re-checks the inputs against the signature to choose a traced graph — more time than the
graph itself. The signature is fixed (`input_signature`), so there is exactly one graph: after Rasa has
built it, the replacement runs that concrete function's graph directly. Same graph, same outputs.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple, Type

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_original_validate = RemoteAction._validate_action_result
_original_resolve = Event.resolve_by_type
_event_classes: Dict[Text, Type[Event]] = {}
_original_predict: Dict[str, Any] = {}  # Rasa's `_rasa_predict`, kept while the fix is installed


@lru_cache(maxsize=1)
def fast_action_result_validator() -> Any:
    """The compiled (Rust) validator for the same schema: a yes/no answer in microseconds."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(RemoteAction.action_response_format_spec())


@lru_cache(maxsize=1)
def action_result_validator() -> Any:
    """A jsonschema validator for Rasa's action-server response format, checked and built once."""
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's check of an action-server answer, with cached validators (Rasa's error when it fails)."""
    from jsonschema.exceptions import best_match

    if fast_action_result_validator().is_valid(result):
        return True
    error = best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def resolve_event_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Rasa's event class for `type_name`, remembered after the first lookup; misses behave as Rasa's."""
    known = _event_classes.get(type_name)
    if known is not None:
        return known
    found = _original_resolve(type_name, default)
    if found is not None and found is not default:
        _event_classes[type_name] = found
    return found


def call_graph(concrete: Any, specs: List[Any], batch_in: Tuple[Any, ...]) -> Any:
    """Run the concrete function on the batch: straight to the graph when every array fits its spec.

    Checking the inputs against the signature again on each call (TensorFlow's structured call) costs
    as much as running this small graph; the arrays come from Rasa's own batching, so when dtype and rank
    match they are passed as they are, and anything unexpected takes TensorFlow's checked path.
    """
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(array) for array in batch_in]
    fits = len(tensors) == len(specs) and all(
        tensor.dtype == spec.dtype and tensor.shape.rank == spec.shape.rank for tensor, spec in zip(tensors, specs)
    )
    if not fits:
        return concrete(list(batch_in))
    return concrete._call_flat(tensors, concrete.captured_inputs)


def predict_with_concrete_function(self: Any, batch_in: Tuple[Any, ...]) -> Dict[Text, Any]:
    """`RasaModel._rasa_predict` through the one traced graph, once Rasa has traced it (else Rasa's own)."""
    from rasa.utils.tensorflow.models import DIAGNOSTIC_DATA, tf_utils

    step = getattr(self, "_tf_predict_step", None)
    if step is None or self._run_eagerly or not self.prepared_for_prediction:
        return _original_predict["method"](self, batch_in)
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


def install_rasa_fixes() -> None:
    """Put the fixes in place (idempotent), with one listening socket per Sanic worker (bot.sanic_workers)."""
    from rasa.utils.tensorflow.models import RasaModel

    from bot.sanic_workers import install_worker_sockets

    install_worker_sockets()
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
    _original_predict.setdefault("method", RasaModel._rasa_predict)
    RasaModel._rasa_predict = predict_with_concrete_function  # type: ignore[method-assign]


def uninstall_rasa_fixes() -> None:
    """Restore Rasa's own code (for tests)."""
    from bot.sanic_workers import uninstall_worker_sockets

    uninstall_worker_sockets()
    RemoteAction._validate_action_result = _original_validate  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_original_resolve)  # type: ignore[assignment]
    if "method" in _original_predict:
        from rasa.utils.tensorflow.models import RasaModel

        RasaModel._rasa_predict = _original_predict.pop("method")  # type: ignore[method-assign]
