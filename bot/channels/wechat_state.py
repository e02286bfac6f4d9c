"""The WeChat channel's state: signed requests already used, pushes already seen (WeChat retries) and the
numbered choices last offered.

`MemoryWeChatState` keeps them in this process (`make run`). `RedisWeChatState` shares them between every
Rasa process and Sanic worker (`make run-scaled`), so a retry that lands on another worker is still
recognised and a "2" typed to another worker still means the second button; it falls back to memory,
with a warning, while Redis does not answer.
"""
from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from typing import Any, Callable, Generic, Hashable, List, Optional, Tuple, TypeVar

from bot.channels.wechat_render import Choice
from bot.shared_redis import SharedRedis

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """A bounded mapping whose entries expire `ttl_s` seconds after they were last set."""

    def __init__(self, maxsize: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Create an empty cache holding at most `maxsize` entries."""
        if maxsize < 1:
            raise ValueError("maxsize must be positive")
        self.maxsize = maxsize
        self.ttl_s = ttl_s
        self._clock = clock
        self._data: "OrderedDict[K, Tuple[float, V]]" = OrderedDict()

    def _purge(self, now: float) -> None:
        """Drop expired entries from the oldest end."""
        while self._data:
            key, (expires, _) = next(iter(self._data.items()))
            if expires > now:
                break
            del self._data[key]

    def get(self, key: K, default: Optional[V] = None) -> Optional[V]:
        """Return the live value for `key`, or `default`."""
        now = self._clock()
        item = self._data.get(key)
        if item is None:
            return default
        if item[0] <= now:
            del self._data[key]
            return default
        return item[1]

    def set(self, key: K, value: V) -> None:
        """Store `value`, evicting expired and then the oldest entries to stay within `maxsize`."""
        now = self._clock()
        self._data.pop(key, None)
        self._data[key] = (now + self.ttl_s, value)
        self._purge(now)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def pop(self, key: K) -> Optional[V]:
        """Remove `key` and return its live value, if any."""
        item = self._data.pop(key, None)
        if item is None or item[0] <= self._clock():
            return None
        return item[1]

    def add_if_absent(self, key: K, value: V) -> bool:
        """Store `value` unless a live entry exists; return True when it was stored."""
        if self.get(key) is not None:
            return False
        self.set(key, value)
        return True

    def __contains__(self, key: object) -> bool:
        """Return True when `key` has a live entry."""
        return self.get(key) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        """Return the number of live entries."""
        self._purge(self._clock())
        return len(self._data)


class MemoryWeChatState:
    """Used requests, seen pushes and offered choices in this process only."""

    def __init__(self, max_users: int = 10000, dedupe_ttl_s: float = 600.0, choice_ttl_s: float = 6 * 3600.0,
                 request_ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        """Bounded caches: five requests and five pushes per user, one list of choices per user."""
        self._requests: TTLCache[str, str] = TTLCache(max_users * 5, request_ttl_s, clock)
        self._seen: TTLCache[str, bool] = TTLCache(max_users * 5, dedupe_ttl_s, clock)
        self._choices: TTLCache[str, List[Choice]] = TTLCache(max_users, choice_ttl_s, clock)

    async def claim_request(self, key: str, push_digest: str) -> bool:
        """Tie the signed request `key` to the push it carried; False when it already carried another push."""
        if self._requests.add_if_absent(key, push_digest):
            return True
        return self._requests.get(key) == push_digest

    async def first_time(self, key: str) -> bool:
        """Record the push `key`; False when it was already seen (a WeChat retry)."""
        return self._seen.add_if_absent(key, True)

    async def choices(self, openid: str) -> Optional[List[Choice]]:
        """The choices last offered to `openid`, if still remembered."""
        return self._choices.get(openid)

    async def remember_choices(self, openid: str, choices: List[Choice]) -> None:
        """Remember the choices just offered to `openid`."""
        self._choices.set(openid, list(choices))

    async def forget_choices(self, openid: str) -> None:
        """Forget `openid`'s choices (the last reply offered none)."""
        self._choices.pop(openid)


def encode_choices(choices: List[Choice]) -> str:
    """Choices as compact JSON."""
    return json.dumps([[c.number, c.title, c.payload] for c in choices], ensure_ascii=False)


def decode_choices(raw: Any) -> Optional[List[Choice]]:
    """Choices from `encode_choices`' JSON; None when absent or unreadable."""
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        return [Choice(int(n), str(t), str(p)) for n, t, p in json.loads(text)]
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


class RedisWeChatState:
    """Seen pushes and offered choices in Redis, shared by every process; memory while Redis is down."""

    def __init__(self, url: str, fallback: MemoryWeChatState, dedupe_ttl_s: float = 600.0,
                 choice_ttl_s: float = 6 * 3600.0, prefix: str = "reissue:wechat", request_ttl_s: float = 600.0) -> None:
        """Use Redis at `url` (redis://host:port/db)."""
        self.fallback, self.prefix = fallback, prefix
        self.dedupe_ttl_s, self.choice_ttl_s = int(max(1, dedupe_ttl_s)), int(max(1, choice_ttl_s))
        self.request_ttl_s = int(max(1, request_ttl_s))
        self.redis = SharedRedis(url, "wechat state", "using this process's memory", logger)

    async def claim_request(self, key: str, push_digest: str) -> bool:
        """SET NX the request's push digest; a request already used passes only with the same digest."""
        redis_key = f"{self.prefix}:request:{key}"
        try:
            client = self.redis.client()
            if await client.set(redis_key, push_digest, nx=True, ex=self.request_ttl_s):
                return True
            stored = await client.get(redis_key)
            return (stored.decode("utf-8") if isinstance(stored, bytes) else stored) == push_digest
        except Exception as error:  # noqa: BLE001 - the channel must keep answering
            self.redis.unavailable(error)
            return await self.fallback.claim_request(key, push_digest)

    async def first_time(self, key: str) -> bool:
        """SET NX: only the first process to see a push gets True."""
        try:
            stored = await self.redis.client().set(f"{self.prefix}:seen:{key}", b"1", nx=True, ex=self.dedupe_ttl_s)
            return bool(stored)
        except Exception as error:  # noqa: BLE001 - the channel must keep answering
            self.redis.unavailable(error)
            return await self.fallback.first_time(key)

    async def choices(self, openid: str) -> Optional[List[Choice]]:
        """The choices last offered to `openid`, from Redis."""
        try:
            return decode_choices(await self.redis.client().get(f"{self.prefix}:choices:{openid}"))
        except Exception as error:  # noqa: BLE001
            self.redis.unavailable(error)
            return await self.fallback.choices(openid)

    async def remember_choices(self, openid: str, choices: List[Choice]) -> None:
        """Store the choices with their time to live."""
        try:
            await self.redis.client().set(f"{self.prefix}:choices:{openid}", encode_choices(choices), ex=self.choice_ttl_s)
        except Exception as error:  # noqa: BLE001
            self.redis.unavailable(error)
            await self.fallback.remember_choices(openid, choices)

    async def forget_choices(self, openid: str) -> None:
        """Delete the stored choices."""
        try:
            await self.redis.client().delete(f"{self.prefix}:choices:{openid}")
        except Exception as error:  # noqa: BLE001
            self.redis.unavailable(error)
        await self.fallback.forget_choices(openid)
