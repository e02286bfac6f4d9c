"""The assistant's queue client against a scripted backend over real HTTP."""
from __future__ import annotations

from clients.handoffs import CallbackOffer, HandoffClient, QueueEntry
from tests.fakes.scripted_backend import ScriptedBackend, Step

SUMMARY = {"topic": "补办申请", "fields": [], "asking": "", "turns": []}


async def test_the_entry_is_opened_with_the_bot_token(backend: ScriptedBackend) -> None:
    backend.then(Step(201, {"id": 7, "token": "t" * 32, "ahead": 2}))
    entry = await HandoffClient(backend.url, "bot-token", 2.0).open("web", SUMMARY)
    assert entry == QueueEntry(7, "t" * 32, 2)
    (seen,) = backend.seen
    assert seen.path == "/api/v1/handoffs" and seen.headers["authorization"] == "Bearer bot-token"
    assert seen.json() == {"channel": "web", "summary": SUMMARY}


async def test_refusals_odd_answers_and_no_backend_are_none(backend: ScriptedBackend, closed_port_url: str) -> None:
    backend.then(Step(422, {"error": "validation_error"}), Step(201, {"id": "7"}), Step(201, raw=b"not json"))
    client = HandoffClient(backend.url, "bot-token", 2.0)
    assert [await client.open("web", SUMMARY) for _ in range(3)] == [None, None, None]
    assert await HandoffClient(closed_port_url, "bot-token", 1.0).open("web", SUMMARY) is None


async def test_a_callback_is_offered_with_the_conversation_only_for_wechat(backend: ScriptedBackend,
                                                                         closed_port_url: str) -> None:
    backend.then(Step(201, {"id": 3, "token": "c" * 32}), Step(201, {"id": 4, "token": None}), Step(503, {}))
    client = HandoffClient(backend.url, "bot-token", 2.0)
    assert await client.offer_callback("web", SUMMARY) == CallbackOffer(3, "c" * 32)
    assert await client.offer_callback("wechat", SUMMARY, "wechat:o-1") == CallbackOffer(4, None)
    assert await client.offer_callback("web", SUMMARY) is None
    assert [seen.path for seen in backend.seen] == ["/api/v1/callbacks"] * 3
    assert backend.seen[0].json() == {"channel": "web", "summary": SUMMARY}
    assert backend.seen[1].json() == {"channel": "wechat", "summary": SUMMARY, "conversation": "wechat:o-1"}
    assert await HandoffClient(closed_port_url, "bot-token", 1.0).offer_callback("web", SUMMARY) is None
