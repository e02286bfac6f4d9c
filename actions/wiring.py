"""Where the actions get their outside services: one place, built on first use, replaceable in tests."""
from __future__ import annotations

from functools import lru_cache

from actions.services.outbox import Outbox
from clients.backend import BackendClient, HttpBackendClient
from clients.handoffs import HandoffClient
from clients.knowledge import LiveAnswers


@lru_cache(maxsize=1)
def backend_client() -> BackendClient:
    """The backend client configured from the environment."""
    return HttpBackendClient()


@lru_cache(maxsize=1)
def handoff_client() -> HandoffClient:
    """The live handoff's queue client configured from the environment."""
    return HandoffClient()


@lru_cache(maxsize=1)
def live_answers() -> LiveAnswers:
    """The cache of the knowledge store's current FAQ answers."""
    return LiveAnswers()


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    """The durable outbox configured from the environment."""
    return Outbox()


def reset() -> None:
    """Forget the built services (tests, or after the environment changed)."""
    backend_client.cache_clear()
    handoff_client.cache_clear()
    live_answers.cache_clear()
    outbox.cache_clear()
