"""The assistant's side of the live handoff: put a conversation in the backend's queue, or offer a callback when no
person is there (one short attempt each, the user is waiting; a failure means the hotline and hall alone); for
WeChat, also relay the user's words and claim and report the replies to push (bot.channels.wechat_handoff)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import httpx

from reissue.masking import scrub
from reissue.settings import get_settings

logger = logging.getLogger(__name__)

PATH = "/api/v1/handoffs"
CALLBACK_PATH = "/api/v1/callbacks"
RELAY_PATH = "/api/v1/channel-handoffs/relay"
CLAIM_PATH = "/api/v1/channel-handoffs/claim"
REPORT_PATH = "/api/v1/channel-handoffs/report"


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
    """The live handoff's calls to the backend, with the bot's credential."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, timeout_s: Optional[float] = None,
                 transport: Optional[httpx.AsyncBaseTransport] = None) -> None:
        """Use the given values, else the settings (nothing opens yet)."""
        settings = get_settings()
        self.base_url = (base_url or settings.backend_url).rstrip("/")
        self._token = token if token is not None else settings.backend_token
        self.timeout_s = timeout_s if timeout_s is not None else settings.backend_timeout_s
        self._transport = transport

    async def _post(self, path: str, body: Dict[str, Any]) -> Tuple[int, Any]:
        """POST `body` with the bot's credential: (status, the answer's JSON or None); status 0 (logged) when the
        backend could not be reached."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport) as http:
                response = await http.post(f"{self.base_url}{path}", json=body,
                                           headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            logger.warning("handoff backend unavailable (%s): %s", path, scrub(type(exc).__name__))
            return 0, None
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    async def _answer(self, path: str, body: Dict[str, Any], expected: int) -> Any:
        """The JSON of an `expected`-status answer to `body`, or None (logged) for anything else."""
        status, answer = await self._post(path, body)
        if status != expected:
            if status:
                logger.warning("handoff backend refused %s with HTTP %s", path, status)
            return None
        return answer

    async def open(self, channel: str, summary: Dict[str, Any], conversation: str = "",
                   address: str = "") -> Optional[QueueEntry]:
        """Queue the conversation with its masked summary (WeChat names its `conversation` and the `address` replies
        go to); None when the backend does not take it."""
        body: Dict[str, Any] = {"channel": channel, "summary": summary}
        if conversation:
            body.update(conversation=conversation, address=address)
        return entry_from(await self._answer(PATH, body, 201))

    async def offer_callback(self, channel: str, summary: Dict[str, Any], conversation: str = "") -> Optional[CallbackOffer]:
        """Offer a callback with the masked summary (WeChat names its `conversation`); None when not taken."""
        body: Dict[str, Any] = {"channel": channel, "summary": summary}
        if conversation:
            body["conversation"] = conversation
        return offer_from(await self._answer(CALLBACK_PATH, body, 201))

    async def relay(self, conversation: str, text: str) -> Optional[Dict[str, Any]]:
        """Where the backend routes a WeChat user's words (its answer), or None when it could not say."""
        answer = await self._answer(RELAY_PATH, {"conversation": conversation, "text": text}, 200)
        return answer if isinstance(answer, dict) else None

    async def claim(self) -> Optional[Dict[str, Any]]:
        """The replies this poller is handed to push, and how many WeChat handoffs are open; None when not asked."""
        answer = await self._answer(CLAIM_PATH, {}, 200)
        return answer if isinstance(answer, dict) else None

    async def report(self, results: List[Dict[str, Any]]) -> bool:
        """Tell the backend which pushed replies WeChat took; whether it recorded them."""
        return await self._answer(REPORT_PATH, {"results": results}, 200) is not None
