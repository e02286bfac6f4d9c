"""The FAQ answers' current texts from the backend's knowledge store, kept for at most 30 s: staff edits reach
the assistant and the hotline lookup within a minute, with one short request per half minute. When the backend does
not answer, the last texts it gave are kept (or none: the training-time defaults are said)."""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable, Dict, Optional

import httpx

from reissue.settings import get_settings

logger = logging.getLogger(__name__)

PATH = "/api/v1/knowledge"
TTL_S = 30.0
# The applicant is waiting: one short attempt; after a failure, the next one waits this long.
TIMEOUT_S = 1.0
RETRY_AFTER_FAILURE_S = 10.0


def texts_from(body: Any) -> Optional[Dict[str, str]]:
    """key → text of a GET /api/v1/knowledge body, or None when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return None
    texts: Dict[str, str] = {}
    for item in body["items"]:
        if isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("text"), str):
            texts[item["key"]] = item["text"]
    return texts


class LiveAnswers:
    """The cached texts; `get` for async callers (the actions), `get_sync` for threads (the lookup)."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, ttl_s: float = TTL_S,
                 transport: Optional[Any] = None, clock: Callable[[], float] = time.monotonic) -> None:
        """Use the given values, else the settings (nothing opens yet)."""
        settings = get_settings()
        self.base_url = (base_url or settings.backend_url).rstrip("/")
        self._token = token if token is not None else settings.backend_token
        self.ttl_s = ttl_s
        self._transport = transport
        self._clock = clock
        self._texts: Dict[str, str] = {}
        self._next_at = -math.inf
        self._lock = threading.Lock()

    def _due(self) -> bool:
        """True when the cached texts are older than the TTL."""
        with self._lock:
            return self._clock() >= self._next_at

    def _settle(self, response: Optional[httpx.Response]) -> Dict[str, str]:
        """Keep the texts of a good answer for the TTL; after anything else keep the old ones a little longer."""
        texts = None
        if response is not None and response.status_code == 200:
            try:
                texts = texts_from(response.json())
            except ValueError:
                texts = None
        with self._lock:
            if texts is None:
                logger.warning("knowledge store unavailable (HTTP %s); keeping the last answers",
                               response.status_code if response is not None else "-")
                self._next_at = self._clock() + RETRY_AFTER_FAILURE_S
            else:
                self._texts, self._next_at = texts, self._clock() + self.ttl_s
            return dict(self._texts)

    def _headers(self) -> Dict[str, str]:
        """The bot's credential."""
        return {"Authorization": f"Bearer {self._token}"}

    async def get(self) -> Dict[str, str]:
        """The current texts by key (fetched when the cached ones are older than the TTL)."""
        if not self._due():
            return dict(self._texts)
        response: Optional[httpx.Response] = None
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=self._transport) as http:
                response = await http.get(f"{self.base_url}{PATH}", headers=self._headers())
        except httpx.HTTPError as exc:
            logger.warning("knowledge store unreachable: %s", type(exc).__name__)
        return self._settle(response)

    def get_sync(self) -> Dict[str, str]:
        """The same, for a caller on a thread."""
        if not self._due():
            return dict(self._texts)
        response: Optional[httpx.Response] = None
        try:
            with httpx.Client(timeout=TIMEOUT_S, transport=self._transport) as http:
                response = http.get(f"{self.base_url}{PATH}", headers=self._headers())
        except httpx.HTTPError as exc:
            logger.warning("knowledge store unreachable: %s", type(exc).__name__)
        return self._settle(response)
