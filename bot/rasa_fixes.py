"""Fixes to Rasa 3.6 itself, installed by our channels when the Rasa server builds them (never at import).

`RemoteAction._validate_action_result` calls `jsonschema.validate`, which first checks the constant
response schema against the JSON-Schema meta-schema, on every action-server answer. The profile of a
form turn put 64 % of Rasa's time there (docs/benchmarks.md). The replacement validates the same answer
against the same schema with a validator built once, raising the same error.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_original_validate = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def action_result_validator() -> Any:
    """A jsonschema validator for Rasa's action-server response format, checked and built once."""
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's check of an action-server answer, with the cached validator."""
    from jsonschema.exceptions import best_match

    error = best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install_rasa_fixes() -> None:
    """Put the fixes in place (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def uninstall_rasa_fixes() -> None:
    """Restore Rasa's own code (for tests)."""
    RemoteAction._validate_action_result = _original_validate  # type: ignore[method-assign]
