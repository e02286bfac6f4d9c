"""The REST channel: limits, per-sender rate limiting, polite replies, metadata, health, served by Sanic."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from types import SimpleNamespace
from typing import Any, AsyncIterator, Tuple

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.analytics_broker import AnalyticsBroker
from bot.channels.rest import (
    BadRequest,
    RedisWindowLimiter,
    RestInput,
    SlidingWindowLimiter,
    clean_text,
    neutralise_payload,
    parse_body,
)
from reissue import knowledge
from reissue.logging_setup import ScrubFilter
from tests.bot.channels.wechat_support import FakeRasa

WEBHOOK = "/webhooks/rest/webhook"


def _free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve(channel: RestInput, rasa: FakeRasa, tracker_store: Any = None) -> Tuple[httpx.AsyncClient, object]:
    """Mount the channel like `rasa run` does and serve it on loopback (the agent's tracker store as given)."""
    app = Sanic(f"rest_test_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = SimpleNamespace(handle_message=rasa, tracker_store=tracker_store)
    register([channel], app, route="/webhooks/")
    port = _free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.start_serving()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0), server


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Tuple[httpx.AsyncClient, RestInput, FakeRasa]]:
    """The channel with small limits in front of a scripted fake Rasa."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    channel = RestInput(rate_limit=3, rate_window_s=60, max_body_bytes=2048, max_message_chars=50)
    rasa = FakeRasa(script={"沉默": []}, default=[{"text": "收到。"}])
    client, server = await serve(channel, rasa)
    try:
        yield client, channel, rasa
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_a_message_reaches_rasa_with_its_metadata_and_the_reply_comes_back(served) -> None:
    """Same URL and JSON as Rasa's channel; metadata objects are passed through, with the channel the server decided."""
    client, _, rasa = served
    reply = await client.post(WEBHOOK, json={"sender": "u1", "message": "补办要登报吗", "metadata": {"page": "faq", "n": 1}})
    assert reply.status_code == 200
    assert reply.json() == [{"recipient_id": "u1", "text": "收到。"}]
    assert rasa.received[0].text == "补办要登报吗" and rasa.received[0].sender_id == "u1"
    assert rasa.received[0].metadata == {"page": "faq", "n": 1, "channel": "rest"}
    assert rasa.received[0].input_channel == "rest"


async def test_non_object_metadata_is_dropped_not_fatal(served) -> None:
    """A metadata list is ignored; the message still goes through (with only the server's channel)."""
    client, _, rasa = served
    reply = await client.post(WEBHOOK, json={"sender": "u2", "message": "你好", "metadata": ["x"]})
    assert reply.status_code == 200 and rasa.received[-1].metadata == {"channel": "rest"}


async def test_rate_limit_answers_politely_per_sender(served) -> None:
    """The 4th message within the window gets the polite text (200 + JSON list); another sender is unaffected."""
    client, _, rasa = served
    replies = [await client.post(WEBHOOK, json={"sender": "fast", "message": f"第{i}条"}) for i in range(5)]
    assert [r.status_code for r in replies] == [200] * 5
    assert [r.json()[0]["text"] for r in replies[3:]] == [knowledge.message("channel_slow_down")] * 2
    assert replies[3].headers["Retry-After"] == "60"
    assert len(rasa.received) == 3
    other = await client.post(WEBHOOK, json={"sender": "calm", "message": "你好"})
    assert other.json()[0]["text"] == "收到。"


async def test_oversized_body_gets_413_with_a_polite_json_list(served) -> None:
    """Over max_body_bytes: 413 and a JSON list the widget can show; Rasa never sees it."""
    client, _, rasa = served
    reply = await client.post(WEBHOOK, content=json.dumps({"sender": "big", "message": "字" * 5000}).encode())
    assert reply.status_code == 413 and reply.json() == [{"text": knowledge.message("channel_too_big")}]
    assert rasa.received == []


async def test_too_long_message_is_answered_without_rasa(served) -> None:
    """Under the byte limit but over max_message_chars: a polite 200."""
    client, _, rasa = served
    reply = await client.post(WEBHOOK, json={"sender": "long", "message": "长" * 51})
    assert reply.status_code == 200 and reply.json()[0]["text"] == knowledge.message("channel_too_long") and rasa.received == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1,2]", b'{"message":"hi"}', b'{"sender":"","message":"hi"}', b'{"sender":"a","message":5}',
     b'{"sender":"a\\u0000b","message":"hi"}', json.dumps({"sender": "s" * 200, "message": "hi"}).encode(), b""],
)
async def test_malformed_bodies_get_400_never_500(served, body: bytes) -> None:
    """Bad JSON, missing or odd sender, non-text message: 400 with a polite JSON list."""
    client, _, rasa = served
    reply = await client.post(WEBHOOK, content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json() == [{"text": knowledge.message("channel_bad_request")}]
    assert rasa.received == []


async def test_empty_and_control_only_messages_get_a_polite_prompt(served) -> None:
    """Nothing to understand: the user is asked to type again instead of getting []."""
    client, _, rasa = served
    for text in ("", "   ", "\x00\x01"):
        reply = await client.post(WEBHOOK, json={"sender": "blank", "message": text})
        assert reply.status_code == 200 and reply.json()[0]["text"] == knowledge.message("channel_bad_request")
    assert rasa.received == []


async def test_no_reply_from_rasa_becomes_an_apology(served) -> None:
    """Rasa producing nothing (e.g. the action server is down) is not silence."""
    client, _, _ = served
    reply = await client.post(WEBHOOK, json={"sender": "quiet", "message": "沉默"})
    assert reply.status_code == 200 and reply.json() == [{"recipient_id": "quiet", "text": knowledge.message("channel_sorry")}]


async def test_a_crash_in_rasa_becomes_an_apology(served) -> None:
    """An exception while handling answers 200 + apology, not a 500 or an empty list."""
    client, _, rasa = served
    rasa.fail_with = RuntimeError("boom")
    reply = await client.post(WEBHOOK, json={"sender": "crash", "message": "你好"})
    assert reply.status_code == 200 and reply.json()[0]["text"] == knowledge.message("channel_sorry")


async def test_numeric_sender_and_control_characters_are_cleaned(served) -> None:
    """A numeric sender is accepted as text; NUL and other controls never reach Rasa."""
    client, _, rasa = served
    body = '{"sender": 12345, "message": "你\\u0000好\\n吗\\ud800"}'.encode()
    await client.post(WEBHOOK, content=body)
    assert rasa.received[-1].sender_id == "12345" and rasa.received[-1].text == "你好 吗"


async def test_health_route_shows_details_only_with_the_api_token(served, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anyone sees the status; the store's details need the Rasa API token."""
    client, _, _ = served
    monkeypatch.setenv("RASA_AUTH_TOKEN", "secret-token")
    public = await client.get("/webhooks/rest/health")
    assert public.status_code in (200, 503) and set(public.json()) == {"status"}
    wrong = await client.get("/webhooks/rest/health", params={"token": "nope"})
    assert set(wrong.json()) == {"status"}
    detailed = await client.get("/webhooks/rest/health", params={"token": "secret-token"})
    assert "tracker_store" in detailed.json() and detailed.json()["pid"] > 0


async def test_health_details_carry_the_analytics_brokers_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the Rasa API token the report shows what the event broker sent and dropped; without it, only the status."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    monkeypatch.setenv("RASA_AUTH_TOKEN", "secret-token")
    broker = AnalyticsBroker("http://backend.test", "bot-token", "key", flush_s=0.05, client_factory=lambda: httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(201, json={"stored": 1}))))
    broker.publish({"sender_id": "web-1", "event": "user", "timestamp": time.time(), "parse_data": {"intent": {"name": "faq"}}})
    await broker.close()
    client, server = await serve(RestInput(), FakeRasa(), SimpleNamespace(event_broker=broker))
    try:
        detailed = (await client.get("/webhooks/rest/health", params={"token": "secret-token"})).json()
        public = (await client.get("/webhooks/rest/health")).json()
    finally:
        await client.aclose()
        server.close()
    assert detailed["analytics"] == {"sent": 1, "dropped": 0, "failing": False, "queued": 0}
    assert "analytics" not in public


async def test_stream_mode_still_works(served) -> None:
    """?stream=true keeps Rasa's line-per-message streaming."""
    client, _, _ = served
    reply = await client.post(WEBHOOK, params={"stream": "true"}, json={"sender": "s", "message": "你好"})
    assert reply.status_code == 200 and json.loads(reply.text.strip().splitlines()[0])["text"] == "收到。"


def test_from_credentials_reads_settings_and_installs_the_log_scrubber(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits come from the environment; unexpanded ${…} credentials fall back; the scrubber is on the root."""
    monkeypatch.setenv("REST_RATE_LIMIT", "7")
    monkeypatch.setenv("REST_MAX_BODY_BYTES", "999")
    channel = RestInput.from_credentials({"max_message_chars": "${UNSET}", "rate_window_s": 30})
    assert (channel.rate_limit, channel.max_body_bytes, channel.rate_window_s) == (7, 999, 30.0)
    assert channel.max_message_chars == 1000 and channel.sender_limit.redis is None
    assert any(isinstance(f, ScrubFilter) for f in logging.getLogger().filters)
    RestInput.from_credentials(None)
    assert sum(isinstance(f, ScrubFilter) for f in logging.getLogger().filters) == 1


def test_sliding_window_forgets_old_hits() -> None:
    """Hits older than the window no longer count."""
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 10.0, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    now[0] = 10.5
    assert limiter.allow("a") is True
    assert SlidingWindowLimiter(0, 1.0).allow("x") is True


async def test_redis_limiter_is_shared_between_instances() -> None:
    """Two limiters (two processes) on the same Redis share one count per sender."""
    prefix = f"test:rate:{uuid.uuid4().hex[:8]}"
    url = "redis://127.0.0.1:6379/2"
    first = RedisWindowLimiter(url, 3, 60, SlidingWindowLimiter(3, 60), prefix=prefix)
    second = RedisWindowLimiter(url, 3, 60, SlidingWindowLimiter(3, 60), prefix=prefix)
    results = [await first.allow("s"), await second.allow("s"), await first.allow("s"), await second.allow("s")]
    assert results == [True, True, True, False]
    await first.redis.client().close()
    await second.redis.client().close()


async def test_redis_down_falls_back_to_the_process_limiter(caplog: pytest.LogCaptureFixture) -> None:
    """An unreachable Redis never blocks messages: the in-process limiter takes over, with a warning."""
    limiter = RedisWindowLimiter("redis://127.0.0.1:1/0", 1, 60, SlidingWindowLimiter(1, 60))
    with caplog.at_level(logging.WARNING):
        assert [await limiter.allow("s"), await limiter.allow("s")] == [True, False]
    assert "Redis unavailable" in caplog.text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_parse_body_never_raises_anything_but_bad_request(raw: bytes) -> None:
    """Any bytes: a usable message or BadRequest, nothing else."""
    try:
        sender, message, metadata = parse_body(raw)
    except BadRequest:
        return
    assert isinstance(sender, str) and sender.strip()
    assert message is None or isinstance(message, str)
    assert metadata is None or isinstance(metadata, dict)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_clean_text_removes_every_control_character(text: str) -> None:
    """No Cc or surrogate survives; printable characters are kept in order."""
    cleaned = clean_text(text)
    assert not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    cleaned.encode("utf-8")  # no lone surrogate left: encodes without error
    kept = [c for c in text if not (ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF or 0x7F <= ord(c) <= 0x9F)]
    assert cleaned.replace(" ", "") == "".join(kept).replace(" ", "")


async def test_concurrent_messages_of_one_sender_are_all_answered(served) -> None:
    """Three at once, all within the limit: three replies."""
    client, _, rasa = served
    replies = await asyncio.gather(*[client.post(WEBHOOK, json={"sender": "many", "message": str(i)}) for i in range(3)])
    assert all(r.json()[0]["text"] == "收到。" for r in replies) and len(rasa.received) == 3


@pytest.mark.parametrize(
    "text, expected",
    [("/greet", "/greet"), (" /deny ", "/deny"), ("/restart", "restart"), ("/faq", "faq"), ("//", ""), ("/", ""),
     ('/inform{"id_number":"1"}', 'inform{"id_number":"1"}'), ("补办要登报吗", "补办要登报吗"), ("a/b", "a/b")],
)
def test_only_allowed_intent_payloads_pass(text: str, expected: str) -> None:
    """Front-end payloads pass; any other "/…" becomes plain words (no injected intents, entities or restarts)."""
    assert neutralise_payload(text, frozenset({"greet", "deny", "affirm"})) == expected


async def test_injected_intent_reaches_rasa_as_words(served) -> None:
    """"/restart" from outside is read as text; "/" alone is an empty message."""
    client, _, rasa = served
    await client.post(WEBHOOK, json={"sender": "inj", "message": "/restart"})
    assert rasa.received[-1].text == "restart"
    reply = await client.post(WEBHOOK, json={"sender": "inj", "message": "/"})
    assert reply.json()[0]["text"] == knowledge.message("channel_bad_request")


# --- who a message is from: channel, conversation, address -------------------------------------------


@pytest.mark.parametrize(
    "metadata, expected",
    [({"channel": "wechat"}, "rest"), ({"channel": "hotline"}, "rest"), ({"channel": ["web"]}, "rest"), (None, "rest"),
     ({"channel": "web", "page": "faq"}, "web")],
)
async def test_the_client_cannot_choose_its_channel(served, metadata, expected) -> None:
    """metadata.channel and input_channel never make a REST message wechat or hotline; the widget's `web` stays."""
    client, _, rasa = served
    body = {"sender": f"ch-{uuid.uuid4().hex[:6]}", "message": "你好", "input_channel": "wechat"}
    if metadata is not None:
        body["metadata"] = metadata
    await client.post(WEBHOOK, json=body)
    message = rasa.received[-1]
    assert message.metadata["channel"] == expected and message.input_channel == "rest"
    assert {k: v for k, v in message.metadata.items() if k != "channel"} == {k: v for k, v in (metadata or {}).items() if k != "channel"}


@pytest.mark.parametrize("sender", ["wechat:oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "wechat:"])
async def test_a_sender_in_the_wechat_namespace_is_refused(served, sender: str) -> None:
    """A REST client cannot post as wechat:<openid> and so join that WeChat user's conversation."""
    client, _, rasa = served
    reply = await client.post(WEBHOOK, json={"sender": sender, "message": "查一下进度"})
    assert reply.status_code == 400 and reply.json() == [{"text": knowledge.message("channel_bad_request")}]
    assert rasa.received == []


async def test_other_sender_ids_are_kept_as_the_client_chose_them(served) -> None:
    """Widget, test and other colon-bearing ids keep their conversations."""
    client, _, rasa = served
    for sender in ("web-0123456789abcdef01234567", "user:42", "WeChat-like"):
        await client.post(WEBHOOK, json={"sender": sender, "message": "你好"})
    assert [m.sender_id for m in rasa.received] == ["web-0123456789abcdef01234567", "user:42", "WeChat-like"]


@pytest.fixture
async def limited(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Tuple[httpx.AsyncClient, RestInput, FakeRasa]]:
    """The channel with a generous per-sender limit but 3 messages per address and 5 in all per minute."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    channel = RestInput(rate_limit=100, rate_window_s=60, address_rate_limit=3, global_rate_limit=5)
    rasa = FakeRasa(default=[{"text": "收到。"}])
    client, server = await serve(channel, rasa)
    try:
        yield client, channel, rasa
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def post_from(client: httpx.AsyncClient, address: str, sender: str) -> httpx.Response:
    """A message that the loopback proxy says came from `address`."""
    return await client.post(WEBHOOK, json={"sender": sender, "message": "你好"}, headers={"X-Forwarded-For": address})


async def test_rotating_sender_ids_from_one_address_are_limited(limited) -> None:
    """New sender ids do not escape the per-address limit: the 4th gets the polite 200; another address is served."""
    client, _, rasa = limited
    replies = [await post_from(client, "203.0.113.7", f"rot-{i}") for i in range(5)]
    assert [r.status_code for r in replies] == [200] * 5
    assert [r.json()[0]["text"] for r in replies] == ["收到。"] * 3 + [knowledge.message("channel_slow_down")] * 2
    assert replies[3].headers["Retry-After"] == "60" and len(rasa.received) == 3
    assert (await post_from(client, "198.51.100.2", "rot-x")).json()[0]["text"] == "收到。"


async def test_the_global_limit_holds_across_addresses(limited) -> None:
    """Six addresses, one message each: the sixth is over the limit of five for everybody."""
    client, _, rasa = limited
    replies = [await post_from(client, f"203.0.113.{i}", f"g-{i}") for i in range(1, 7)]
    assert [r.json()[0]["text"] for r in replies] == ["收到。"] * 5 + [knowledge.message("channel_slow_down")]
    assert len(rasa.received) == 5


async def test_loopback_callers_are_limited_only_per_sender(limited) -> None:
    """This machine's own callers (benchmarks, end-to-end tests, a local proxy without X-Forwarded-For) pass the
    per-address and global limits."""
    client, _, rasa = limited
    replies = [await client.post(WEBHOOK, json={"sender": f"local-{i}", "message": "你好"}) for i in range(8)]
    assert all(r.json()[0]["text"] == "收到。" for r in replies) and len(rasa.received) == 8


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no proxy trusted, X-Forwarded-For is ignored: the loopback caller stays itself (and unlimited)."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    channel = RestInput(rate_limit=100, address_rate_limit=3, global_rate_limit=5, trusted_proxies="")
    rasa = FakeRasa(default=[{"text": "收到。"}])
    client, server = await serve(channel, rasa)
    try:
        replies = [await post_from(client, "203.0.113.7", f"spoof-{i}") for i in range(5)]
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert all(r.json()[0]["text"] == "收到。" for r in replies)


async def test_limits_are_logged_without_the_full_address(limited, caplog: pytest.LogCaptureFixture) -> None:
    """The log says which limit and the /24 network, never the whole address or the sender id."""
    client, _, _ = limited
    with caplog.at_level(logging.INFO, logger="bot.channels.rest"):
        for i in range(4):
            await post_from(client, "203.0.113.77", f"logged-sender-{i}")
    lines = [r.getMessage() for r in caplog.records if "rate limit" in r.getMessage()]
    assert len(lines) == 1 and "per-address" in lines[0] and "203.0.113.0/24" in lines[0]
    assert "203.0.113.77" not in caplog.text and "logged-sender" not in caplog.text


async def test_addresses_are_counted_under_a_digest(limited) -> None:
    """The limiter's keys (in memory or Redis) never hold a client address in clear."""
    client, channel, _ = limited
    await post_from(client, "203.0.113.78", "digest-sender")
    keys = list(channel.address_limit.memory.hits)
    assert len(keys) == 1 and "203.0.113.78" not in keys[0] and len(keys[0]) == 32


def test_from_credentials_reads_the_address_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """REST_ADDRESS_RATE_LIMIT, REST_GLOBAL_RATE_LIMIT and TRUSTED_PROXIES come from the environment."""
    monkeypatch.setenv("REST_ADDRESS_RATE_LIMIT", "11")
    monkeypatch.setenv("REST_GLOBAL_RATE_LIMIT", "222")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    channel = RestInput.from_credentials(None)
    assert (channel.address_limit.memory.limit, channel.global_limit.memory.limit) == (11, 222)
    assert [str(n) for n in channel.trusted_proxies] == ["10.0.0.0/8"]


async def test_a_turn_the_tracker_store_could_not_keep_is_answered_with_the_not_kept_apology(served) -> None:
    """The store failed during the turn (Rasa then answered from a blank conversation): the user is told it was not kept;
    the next turn, with the store answering, gets Rasa's reply."""
    client, _, rasa = served
    rasa.store_fails = True
    reply = await client.post(WEBHOOK, json={"sender": "lost", "message": "确认提交"})
    assert reply.status_code == 200 and reply.json() == [{"recipient_id": "lost",
                                                          "text": knowledge.message("channel_not_kept")}]
    rasa.store_fails = False
    kept = await client.post(WEBHOOK, json={"sender": "lost", "message": "你好"})
    assert kept.json()[0]["text"] == "收到。"


async def test_health_route_says_503_while_the_lock_store_fails(served, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock store that does not answer makes the channel unhealthy, like a failing tracker store."""
    import bot.stores as stores

    client, _, _ = served

    async def failing(lock_store: object, timeout_s: float = 1.0) -> dict:
        return {"store": "redis", "status": "failing"}

    monkeypatch.setattr(stores, "lock_store_health", failing)
    reply = await client.get("/webhooks/rest/health")
    assert reply.status_code == 503 and reply.json() == {"status": "failing"}
