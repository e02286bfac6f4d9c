"""Tests of the WeChat channel's bounded TTL cache and openid masking."""
from __future__ import annotations

from typing import List

import pytest

from bot.channels.wechat_state import TTLCache, mask_openid


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


def test_mask_openid_hides_the_middle() -> None:
    """Only a short prefix and suffix survive; short or empty ids are masked too."""
    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    masked = mask_openid(openid)
    assert masked == "oUpF***6o" and openid not in masked
    assert mask_openid("abc") == "ab***"
    assert mask_openid("") == "-" and mask_openid(None) == "-"
