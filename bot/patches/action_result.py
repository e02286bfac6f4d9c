"""Rasa's check of every action-server answer, with a validator built once (Rasa 3.6 `RemoteAction`).

`RemoteAction._validate_action_result` calls `jsonschema.validate`, which first checks the constant
response schema against the JSON-Schema meta-schema, on every action-server answer. The profile of a
form turn put 64 % of Rasa's time there (docs/benchmarks.md). The replacement checks the same answer
against the same schema with a validator built once — first the compiled (Rust) `jsonschema_rs` one,
because even a prepared Python validator spent ~3 ms per answer trying each event's `oneOf` branches —
and only for an answer it rejects asks Python's `jsonschema` for the same error Rasa raises.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_original = RemoteAction._validate_action_result


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


def install() -> None:
    """Use the cached validators from now on (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore Rasa's own check."""
    RemoteAction._validate_action_result = _original  # type: ignore[method-assign]
