"""The small result every parser returns: a value, or an error code with a Chinese message."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Optional, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parsed value, or `error` (a stable code for the program) and `message` (for the applicant)."""

    value: Optional[T] = None
    error: Optional[str] = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when parsing succeeded."""
        return self.error is None and self.value is not None

    @classmethod
    def success(cls, value: T) -> "Parsed[T]":
        """A successful result."""
        return cls(value=value)

    @classmethod
    def failure(cls, error: str, message: str) -> "Parsed[T]":
        """A failed result with an error code and a message to show the applicant."""
        return cls(error=error, message=message)
