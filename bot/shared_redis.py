"""A lazily opened asyncio Redis client for state shared by every process, and its rare fallback warning.

Used where Redis is an optimisation of correctness across processes (rate-limit counts, WeChat state): the
caller keeps working from its own memory while Redis does not answer, and says so at most once a minute.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from reissue.settings import get_settings

WARN_EVERY_S = 60.0


class SharedRedis:
    """One asyncio Redis client at `url`, created on first use, with a throttled "using memory" warning."""

    def __init__(self, url: str, user: str, fallback: str, logger: logging.Logger) -> None:
        """`user` and `fallback` name, in the warning, who falls back and to what."""
        self.url, self.user, self.fallback, self.logger = url, user, fallback, logger
        self._client: Any = None
        self._warned_at = 0.0

    def client(self) -> Any:
        """The asyncio Redis client (short timeouts, so a dead Redis costs a call REDIS_TIMEOUT at most, 0.5 s by default)."""
        if self._client is None:
            import redis.asyncio as aioredis

            timeout_s = get_settings().redis_timeout_s
            self._client = aioredis.from_url(self.url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        return self._client

    def unavailable(self, error: BaseException) -> None:
        """Warn, at most once a minute, that the caller falls back to this process's memory."""
        if time.monotonic() - self._warned_at > WARN_EVERY_S:
            self._warned_at = time.monotonic()
            self.logger.warning("%s: Redis unavailable (%s), %s", self.user, type(error).__name__, self.fallback)
