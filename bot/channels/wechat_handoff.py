"""The live handoff for WeChat users (`WECHAT_HANDOFF=console`): "转人工" queues the conversation in the backend
like the widget's, the user's messages go to the person, and the person's replies are sent through the
customer-service send API.

WeChat lets the channel answer a user for 48 hours after their last message, five messages at most; a reply
beyond that is kept and sent as soon as the user writes again. The live handoffs are kept in this process
(`make run`); the poller that fetches the replies runs on Rasa's event loop while any handoff is live.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests

from bot.channels.wechat_api import WeChatApiClient
from reissue.handoff import OPEN_STATUSES, conversation_summary
from reissue.masking import mask_openid

logger = logging.getLogger(__name__)

CONSOLE, PLATFORM = "console", "platform"
PATH = "/api/v1/handoffs"
POLL_S = 1.5
WINDOW_S = 48 * 3600.0  # WeChat's reply window after the user's last message
WINDOW_MESSAGES = 5  # and the messages it allows in it
WINDOW_CODES = frozenset({45015, 45047})  # WeChat says the window or its quota is used up
TIMEOUT: Tuple[float, float] = (3.05, 6.0)
CHANNEL = "wechat"


@dataclass
class Live:
    """One WeChat user's live handoff: its number and token, the last message delivered, the reply window."""

    id: int
    token: str
    user_at: float
    after: int = 0
    sent: int = 1  # the "you are in the queue" message already used one of the window's messages

    def window_open(self, now: float) -> bool:
        """True while WeChat still accepts a message for this user."""
        return now - self.user_at < WINDOW_S and self.sent < WINDOW_MESSAGES


def tracker_summary(tracker: Any, said: str) -> Dict[str, Any]:
    """The queue entry's summary from Rasa's tracker (None: a conversation not started yet) and the words just said."""
    turns: List[Tuple[str, str]] = []
    slots: Dict[str, Any] = {}
    loop: Optional[str] = None
    requested: Optional[str] = None
    if tracker is not None:
        for event in tracker.events:
            kind = getattr(event, "type_name", "")
            text = getattr(event, "text", None)
            if kind in ("user", "bot") and text:
                turns.append((kind, str(text)))
        slots = dict(tracker.current_slot_values())
        loop = tracker.active_loop_name
        requested = tracker.get_slot("requested_slot")
    return conversation_summary(loop, slots, turns + [("user", said)], requested)


class WeChatHandoffs:
    """The live handoffs of WeChat users: opened, fed with the user's messages, polled for the person's replies."""

    def __init__(self, api: WeChatApiClient, backend_url: str, bot_token: str, poll_s: float = POLL_S,
                 clock: Callable[[], float] = time.time, session: Optional[requests.Session] = None) -> None:
        """Send through `api`; talk to the backend at `backend_url` with the bot's token."""
        self.api = api
        self.backend_url = backend_url.rstrip("/")
        self._bot_token = bot_token
        self.poll_s = poll_s
        self.clock = clock
        self._session = session
        self.live: Dict[str, Live] = {}
        self._poller: Optional["asyncio.Task[None]"] = None

    @property
    def session(self) -> requests.Session:
        """The HTTP session to the backend, created on first use."""
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def _post(self, path: str, body: Dict[str, Any], bot: bool = False) -> Tuple[int, Any]:
        """POST JSON to the backend; (status, parsed body), status 0 when it could not be reached."""
        headers = {"Authorization": f"Bearer {self._bot_token}"} if bot else {}
        try:
            response = self.session.post(f"{self.backend_url}{path}", json=body, headers=headers, timeout=TIMEOUT)
            return response.status_code, response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.warning("wechat.handoff.backend_failed error=%s", type(exc).__name__)
            return 0, None

    async def _call(self, path: str, body: Dict[str, Any], bot: bool = False) -> Tuple[int, Any]:
        """`_post` in a worker thread."""
        return await asyncio.to_thread(self._post, path, body, bot)

    async def open(self, openid: str, summary: Dict[str, Any]) -> Optional[int]:
        """Queue the user's conversation; how many wait before it, or None when the backend did not take it."""
        status, body = await self._call(PATH, {"channel": CHANNEL, "summary": summary}, bot=True)
        if status != 201 or not isinstance(body, dict) or not isinstance(body.get("id"), int):
            logger.warning("wechat.handoff.refused user=%s status=%s", mask_openid(openid), status)
            return None
        self.live[openid] = Live(body["id"], str(body.get("token") or ""), self.clock())
        self._ensure_poller()
        logger.info("wechat.handoff.queued user=%s handoff=%s", mask_openid(openid), body["id"])
        return int(body.get("ahead") or 0)

    async def forward(self, openid: str, text: str) -> bool:
        """Give the user's message to the person; False when the user is in no live handoff (Rasa answers)."""
        live = self.live.get(openid)
        if live is None:
            return False
        status, _ = await self._call(f"{PATH}/{live.id}/user-messages", {"token": live.token, "text": text[:1000]})
        if status in (404, 409):
            self.live.pop(openid, None)
            return False
        live.user_at, live.sent = self.clock(), 0  # the user wrote: WeChat's window opens again
        self._ensure_poller()
        return True

    async def poll_once(self) -> None:
        """Fetch every live handoff's new messages and send them while WeChat's window allows."""
        for openid, live in list(self.live.items()):
            status, body = await self._call(f"{PATH}/{live.id}/updates", {"token": live.token, "after": live.after})
            if status == 404:
                self.live.pop(openid, None)
                continue
            if status != 200 or not isinstance(body, dict):
                continue
            held = await self._deliver(openid, live, body.get("messages") or [])
            if body.get("status") not in OPEN_STATUSES and not held:
                self.live.pop(openid, None)
                logger.info("wechat.handoff.ended user=%s status=%s", mask_openid(openid), body.get("status"))

    async def _deliver(self, openid: str, live: Live, messages: List[Any]) -> bool:
        """Send the messages in order; True when some are held until the user writes again."""
        for item in messages:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                continue
            if not live.window_open(self.clock()):
                return True
            result = await self.api.send_message(openid, {"msgtype": "text", "text": {"content": str(item["text"])}})
            if result.errcode in WINDOW_CODES:
                live.sent = WINDOW_MESSAGES
                return True
            live.sent += 1
            live.after = item["id"]
        return False

    def _ensure_poller(self) -> None:
        """Start the poller on the running loop unless it runs already."""
        if self._poller is None or self._poller.done():
            self._poller = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        """Poll while any handoff is live."""
        while self.live:
            try:
                await self.poll_once()
            except Exception as exc:  # noqa: BLE001 - the poller must go on for the other users
                logger.error("wechat.handoff.poll_failed error=%s", type(exc).__name__)
            await asyncio.sleep(self.poll_s)

    async def stop(self) -> None:
        """Stop the poller (tests, shutdown)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
