"""Tests of the WeChat channel's bounded TTL cache and its state: used requests, seen pushes, offered choices."""
from __future__ import annotations

import logging
import uuid
from typing import Iterator, List

import pytest

from bot.channels.wechat_render import Choice
from bot.channels.wechat_state import (
    MemoryWeChatState,
    RedisWeChatState,
    TTLCache,
    decode_choices,
    encode_choices,
)


class FakeClock:
    """A settable clock for expiry tests."""

    def __init__(self) -> None:
        """Start at t=1000."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now


def test_entries_expire_after_ttl() -> None:
    """A value is live before its TTL and gone after it."""
    clock = FakeClock()
    cache: TTLCache[str, int] = TTLCache(10, 60, clock=clock)
    cache.set("a", 1)
    clock.now += 59
    assert cache.get("a") == 1 and "a" in cache
    clock.now += 2
    assert cache.get("a") is None and "a" not in cache and len(cache) == 0


def test_cache_is_bounded_and_evicts_oldest() -> None:
    """Beyond maxsize the oldest entries go first; re-setting refreshes an entry."""
    cache: TTLCache[int, int] = TTLCache(3, 60, clock=FakeClock())
    for i in range(3):
        cache.set(i, i)
    cache.set(0, 0)  # refresh 0, so 1 is now the oldest
    cache.set(3, 3)
    assert 1 not in cache
    assert [k for k in range(4) if k in cache] == [0, 2, 3]
    assert len(cache) == 3


def test_add_if_absent_and_pop() -> None:
    """add_if_absent stores once per live key; pop removes and returns the value."""
    clock = FakeClock()
    cache: TTLCache[str, List[int]] = TTLCache(5, 10, clock=clock)
    assert cache.add_if_absent("k", [1])
    assert not cache.add_if_absent("k", [2])
    assert cache.get("k") == [1]
    clock.now += 11
    assert cache.add_if_absent("k", [3])
    assert cache.pop("k") == [3] and cache.pop("k") is None


def test_maxsize_must_be_positive() -> None:
    """A zero-sized cache is a programming error."""
    with pytest.raises(ValueError):
        TTLCache(0, 1)


# --- shared state: seen pushes and offered choices -------------------------------------------------

CHOICES = [Choice(1, "遗失", "证书遗失了"), Choice(2, "损毁", '/inform{"r":"损毁"}')]


async def test_memory_state_sees_a_push_once_and_keeps_choices() -> None:
    """A retry is recognised; choices are remembered until forgotten."""
    state = MemoryWeChatState(max_users=10)
    assert await state.first_time("msg:1") is True
    assert await state.first_time("msg:1") is False
    await state.remember_choices("openid-a", CHOICES)
    assert await state.choices("openid-a") == CHOICES
    await state.forget_choices("openid-a")
    assert await state.choices("openid-a") is None


def test_choices_survive_encoding_and_garbage_reads_as_none() -> None:
    """JSON round trip keeps number, title and payload; unreadable values are treated as absent."""
    assert decode_choices(encode_choices(CHOICES).encode("utf-8")) == CHOICES
    assert decode_choices(None) is None
    assert decode_choices(b"\xff\xfe") is None
    assert decode_choices("[[1, 2]]") is None


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique key prefix on the machine's Redis (db 2), deleted afterwards."""
    import redis

    prefix = f"test:wechat:{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis(host="127.0.0.1", port=6379, db=2)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


async def test_two_processes_share_seen_pushes_and_choices(redis_prefix: str) -> None:
    """Over Redis, a retry landing on another worker is a duplicate and a digit there resolves the same choice."""
    url = "redis://127.0.0.1:6379/2"
    first = RedisWeChatState(url, MemoryWeChatState(), prefix=redis_prefix)
    second = RedisWeChatState(url, MemoryWeChatState(), prefix=redis_prefix)
    assert await first.first_time("msg:42") is True
    assert await second.first_time("msg:42") is False
    await first.remember_choices("openid-b", CHOICES)
    assert await second.choices("openid-b") == CHOICES
    await second.forget_choices("openid-b")
    assert await first.choices("openid-b") is None


async def test_redis_down_falls_back_to_memory_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing breaks while Redis does not answer: this process still recognises its own retries."""
    state = RedisWeChatState("redis://127.0.0.1:1/0", MemoryWeChatState())
    with caplog.at_level(logging.WARNING, logger="bot.channels.wechat_state"):
        assert await state.first_time("msg:7") is True
        assert await state.first_time("msg:7") is False
        await state.remember_choices("openid-c", CHOICES)
        assert await state.choices("openid-c") == CHOICES
    assert "Redis unavailable" in caplog.text


# --- signed requests already used ------------------------------------------------------------------


async def test_memory_state_ties_a_signed_request_to_one_push() -> None:
    """A request key passes again only with the same push; another push under it is refused."""
    state = MemoryWeChatState(max_users=10)
    assert await state.claim_request("1714037059:486452656:sig", "push-a") is True
    assert await state.claim_request("1714037059:486452656:sig", "push-a") is True
    assert await state.claim_request("1714037059:486452656:sig", "push-b") is False
    assert await state.claim_request("1714037059:486452657:sig", "push-b") is True


async def test_a_used_request_is_forgotten_only_after_its_ttl() -> None:
    """The memory of a used request lasts request_ttl_s (the freshness window on both sides)."""
    clock = FakeClock()
    state = MemoryWeChatState(max_users=10, request_ttl_s=600, clock=clock)
    assert await state.claim_request("k", "push-a") is True
    clock.now += 599
    assert await state.claim_request("k", "push-b") is False
    clock.now += 2
    assert await state.claim_request("k", "push-b") is True


async def test_two_processes_share_used_requests(redis_prefix: str) -> None:
    """Over Redis, a request used on one worker cannot carry another push to the other worker."""
    url = "redis://127.0.0.1:6379/2"
    first = RedisWeChatState(url, MemoryWeChatState(), prefix=redis_prefix)
    second = RedisWeChatState(url, MemoryWeChatState(), prefix=redis_prefix)
    assert await first.claim_request("ts:nonce:sig", "push-a") is True
    assert await second.claim_request("ts:nonce:sig", "push-a") is True
    assert await second.claim_request("ts:nonce:sig", "push-b") is False
    ttl = await first.redis.client().ttl(f"{redis_prefix}:request:ts:nonce:sig")
    assert 0 < ttl <= 600
    await first.redis.client().close()
    await second.redis.client().close()


async def test_used_requests_fall_back_to_memory_while_redis_is_down() -> None:
    """Without Redis this process still refuses a request it has seen carry another push."""
    state = RedisWeChatState("redis://127.0.0.1:1/0", MemoryWeChatState())
    assert await state.claim_request("k", "push-a") is True
    assert await state.claim_request("k", "push-b") is False
