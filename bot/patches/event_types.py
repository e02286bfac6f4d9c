"""Rasa's event class for a type name, remembered (Rasa 3.6 `Event.resolve_by_type`).

`Event.resolve_by_type` walks every subclass of `Event` (recursively, checking each for abstractness) for
every event it deserialises — each turn rebuilds the tracker from its stored events, ~10 % of a form
turn. The replacement remembers the class found for each type name and asks Rasa only on a miss.
"""
from __future__ import annotations

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event

_original = Event.resolve_by_type
_known: Dict[Text, Type[Event]] = {}


def resolve_event_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Rasa's event class for `type_name`, remembered after the first lookup; misses behave as Rasa's."""
    known = _known.get(type_name)
    if known is not None:
        return known
    found = _original(type_name, default)
    if found is not None and found is not default:
        _known[type_name] = found
    return found


def install() -> None:
    """Remember event classes from now on (idempotent)."""
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]


def uninstall() -> None:
    """Restore Rasa's own lookup."""
    Event.resolve_by_type = staticmethod(_original)  # type: ignore[assignment]
