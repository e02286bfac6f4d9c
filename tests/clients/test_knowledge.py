"""The cache of the knowledge store's answers: fresh for 30 s, the last texts kept when the backend fails."""
from __future__ import annotations

from typing import List

import httpx

from clients.knowledge import RETRY_AFTER_FAILURE_S, LiveAnswers, texts_from


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        """Start at 0."""
        self.now = 0.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def backend(answers: List[object]) -> httpx.MockTransport:
    """A transport answering each request with the next of `answers` (a text, or an HTTP status)."""
    seen: List[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        """The next answer."""
        seen.append(request)
        item = answers.pop(0)
        if isinstance(item, int):
            return httpx.Response(item, json={"error": "x"})
        return httpx.Response(200, json={"items": [{"key": "fee", "text": item, "version": 1}]})

    transport = httpx.MockTransport(handle)
    transport.seen = seen  # type: ignore[attr-defined]
    return transport


async def test_texts_are_kept_for_the_ttl_then_fetched_again():
    clock, transport = Clock(), backend(["一", "二"])
    live = LiveAnswers("http://backend", "bot-token", transport=transport, clock=clock)
    assert await live.get() == {"fee": "一"}
    clock.now = 29.0
    assert await live.get() == {"fee": "一"} and len(transport.seen) == 1
    clock.now = 30.0
    assert await live.get() == {"fee": "二"}
    assert transport.seen[0].headers["authorization"] == "Bearer bot-token"
    assert transport.seen[0].url.path == "/api/v1/knowledge"


def test_a_failing_backend_keeps_the_last_texts_and_is_asked_again_later():
    clock, transport = Clock(), backend(["一", 503, "三"])
    live = LiveAnswers("http://backend", "t", transport=transport, clock=clock)
    assert live.get_sync() == {"fee": "一"}
    clock.now = 31.0
    assert live.get_sync() == {"fee": "一"}
    clock.now = 31.0 + RETRY_AFTER_FAILURE_S - 1
    assert live.get_sync() == {"fee": "一"} and len(transport.seen) == 2
    clock.now = 31.0 + RETRY_AFTER_FAILURE_S
    assert live.get_sync() == {"fee": "三"}


async def test_an_unreachable_backend_means_the_defaults():
    def refuse(request: httpx.Request) -> httpx.Response:
        """Connection refused."""
        raise httpx.ConnectError("refused", request=request)

    assert await LiveAnswers("http://backend", "t", transport=httpx.MockTransport(refuse)).get() == {}


def test_only_well_formed_items_count():
    assert texts_from({"items": [{"key": "fee", "text": "x"}, {"key": 1, "text": "y"}, "z"]}) == {"fee": "x"}
    assert texts_from([]) is None and texts_from({"items": None}) is None
