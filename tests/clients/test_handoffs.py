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


async def test_a_wechat_entry_names_its_conversation_and_address(backend: ScriptedBackend) -> None:
    backend.then(Step(201, {"id": 8, "token": "w" * 32, "ahead": 0}))
    entry = await HandoffClient(backend.url, "bot-token", 2.0).open("wechat", SUMMARY, "wechat:o-1", "o-1")
    assert entry == QueueEntry(8, "w" * 32, 0)
    assert backend.seen[0].json() == {"channel": "wechat", "summary": SUMMARY, "conversation": "wechat:o-1",
                                      "address": "o-1"}


async def test_relay_claim_and_report_return_the_answer_or_none(backend: ScriptedBackend, closed_port_url: str) -> None:
    backend.then(Step(200, {"route": "person", "replies": []}), Step(200, {"items": [], "open": 1}),
                 Step(200, {"recorded": 1}), Step(401, {"error": "unauthorized"}), Step(200, raw=b"not json"),
                 Step(503, {}))
    client = HandoffClient(backend.url, "bot-token", 2.0)
    assert await client.relay("wechat:o-1", "还在吗") == {"route": "person", "replies": []}
    assert await client.claim() == {"items": [], "open": 1}
    assert await client.report([{"id": 5, "delivered": True}]) is True
    assert await client.relay("wechat:o-1", "还在吗") is None
    assert await client.claim() is None
    assert await client.report([{"id": 5, "delivered": False}]) is False
    assert [seen.path for seen in backend.seen[:3]] == ["/api/v1/channel-handoffs/relay",
                                                        "/api/v1/channel-handoffs/claim",
                                                        "/api/v1/channel-handoffs/report"]
    assert backend.seen[0].json() == {"conversation": "wechat:o-1", "text": "还在吗"}
    assert backend.seen[2].json() == {"results": [{"id": 5, "delivered": True}]}
    assert all(seen.headers["authorization"] == "Bearer bot-token" for seen in backend.seen)
    assert await HandoffClient(closed_port_url, "bot-token", 1.0).relay("wechat:o-1", "在吗") is None
