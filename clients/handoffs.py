"""The assistant's side of the live handoff: put a conversation in the backend's queue, or offer a callback when no
person is there (one short attempt each, the user is waiting; a failure means the hotline and hall alone)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional

import httpx

from reissue.masking import scrub
from reissue.settings import get_settings

logger = logging.getLogger(__name__)

PATH = "/api/v1/handoffs"
CALLBACK_PATH = "/api/v1/callbacks"


@dataclass(frozen=True)
class QueueEntry:
    """The backend's answer: the handoff's number, the secret the user's side reads it with, who waits before it."""

    id: int
    token: str
    ahead: int


@dataclass(frozen=True)
class CallbackOffer:
    """The backend's callback offer: its number and the secret the widget answers it with (None for WeChat)."""

    id: int
    token: Optional[str]


def offer_from(body: Any) -> Optional[CallbackOffer]:
    """The callback offer in a 201 body, or None when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("id"), int):
        return None
    token = body.get("token")
    return CallbackOffer(body["id"], token if isinstance(token, str) and token else None)


def entry_from(body: Any) -> Optional[QueueEntry]:
    """The queue entry in a 201 body, or None when it is not one."""
    if not isinstance(body, dict):
        return None
    handoff_id, token, ahead = body.get("id"), body.get("token"), body.get("ahead")
    if isinstance(handoff_id, int) and isinstance(token, str) and token and isinstance(ahead, int):
        return QueueEntry(handoff_id, token, ahead)
    return None


class HandoffClient:
    """Opens handoffs in the backend with the bot's credential."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, timeout_s: Optional[float] = None,
                 transport: Optional[httpx.AsyncBaseTransport] = None) -> None:
        """Use the given values, else the settings (nothing opens yet)."""
        settings = get_settings()
        self.base_url = (base_url or settings.backend_url).rstrip("/")
        self._token = token if token is not None else settings.backend_token
        self.timeout_s = timeout_s if timeout_s is not None else settings.backend_timeout_s
        self._transport = transport

    async def _create(self, path: str, body: Dict[str, Any]) -> Any:
        """POST `body` with the bot's credential; the 201 answer's JSON, or None (logged) for anything else."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport) as http:
                response = await http.post(f"{self.base_url}{path}", json=body,
                                           headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            logger.warning("handoff backend unavailable (%s): %s", path, scrub(type(exc).__name__))
            return None
        if response.status_code != 201:
            logger.warning("handoff backend refused %s with HTTP %s", path, response.status_code)
            return None
        try:
            return response.json()
        except ValueError:
            return None

    async def open(self, channel: str, summary: Dict[str, Any]) -> Optional[QueueEntry]:
        """Queue the conversation with its masked summary; None when the backend does not take it."""
        return entry_from(await self._create(PATH, {"channel": channel, "summary": summary}))

    async def offer_callback(self, channel: str, summary: Dict[str, Any], conversation: str = "") -> Optional[CallbackOffer]:
        """Offer a callback with the masked summary (WeChat names its `conversation`); None when not taken."""
        body: Dict[str, Any] = {"channel": channel, "summary": summary}
        if conversation:
            body["conversation"] = conversation
        return offer_from(await self._create(CALLBACK_PATH, body))
