"""Small in-memory state for the WeChat channel: a bounded TTL cache and openid masking."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Optional, Tuple, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def mask_openid(openid: Optional[str]) -> str:
    """Return an openid safe for logs: the first 4 and last 2 characters only."""
    if not openid:
        return "-"
    if len(openid) <= 8:
        return openid[:2] + "***"
    return f"{openid[:4]}***{openid[-2:]}"


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
