"""The live handoff for WeChat users (`WECHAT_HANDOFF=console`): "转人工" queues the conversation in the backend
like the widget's, the user's messages go to the person, and the person's replies are sent through the
customer-service send API.

No state is kept in this process: the backend knows a conversation's open handoff (and its callback offer) by the
conversation id, so every Rasa worker routes a user's words the same way (`relay`, one call per message), and the
pollers of all workers share the replies to send, the backend handing each to one of them once (`poll_once`). A
reply WeChat refuses (45015: the 48-hour window after the user's last message has passed; 45047: its five messages
are used up) is reported undelivered: staff see it on the staff page, and when the user next writes the relay's
answer tells them how to reach the hotline and the hall. The poller runs on Rasa's event loop while the backend says
a WeChat handoff is open.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from bot.channels.senders import WECHAT, conversation_id
from bot.channels.wechat_api import WeChatApiClient
from clients.handoffs import HandoffClient
from reissue.handoff import conversation_summary
from reissue.masking import mask_openid

logger = logging.getLogger(__name__)

CONSOLE, PLATFORM = "console", "platform"
POLL_S = 1.5
MAX_FAILED_POLLS = 40  # the backend unreachable this many polls in a row: the poller stops until the next message
WINDOW_CODES = frozenset({45015, 45047})  # WeChat says the window or its quota is used up
CHANNEL = "wechat"
ASSISTANT = "assistant"


@dataclass(frozen=True)
class Relayed:
    """Where the backend sent the user's words (`person`, `callback` or back to the `assistant`) and what to tell the
    user now."""

    route: str = ASSISTANT
    replies: List[str] = field(default_factory=list)

    @property
    def taken(self) -> bool:
        """True when the words are not for the assistant."""
        return self.route != ASSISTANT


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
    """WeChat users' live handoffs, kept in the backend: opened, fed with the user's words, polled for the replies."""

    def __init__(self, api: WeChatApiClient, backend_url: str, bot_token: str, poll_s: float = POLL_S) -> None:
        """Send through `api`; talk to the backend at `backend_url` with the bot's token."""
        self.api = api
        self.client = HandoffClient(backend_url, bot_token)
        self.poll_s = poll_s
        self._poller: Optional["asyncio.Task[None]"] = None

    async def open(self, openid: str, summary: Dict[str, Any]) -> Optional[int]:
        """Queue the user's conversation; how many wait before it, or None when the backend did not take it."""
        entry = await self.client.open(CHANNEL, summary, conversation_id(WECHAT, openid), openid)
        if entry is None:
            logger.warning("wechat.handoff.refused user=%s", mask_openid(openid))
            return None
        self.ensure_poller()
        logger.info("wechat.handoff.queued user=%s handoff=%s", mask_openid(openid), entry.id)
        return entry.ahead

    async def relay(self, openid: str, text: str) -> Relayed:
        """Give the user's words to the backend: the person of an open handoff, a callback offer, or (also when the
        backend cannot be reached) the assistant."""
        body = await self.client.relay(conversation_id(WECHAT, openid), (text or " ")[:1000])
        if body is None:
            return Relayed()
        replies = [str(reply) for reply in body.get("replies") or [] if str(reply).strip()]
        relayed = Relayed(str(body.get("route") or ASSISTANT), replies)
        if relayed.route == "person":
            self.ensure_poller()
        return relayed

    async def poll_once(self) -> Optional[int]:
        """Send the replies this poller was handed, report which WeChat took; how many WeChat handoffs are still
        open (None when the backend could not be asked)."""
        body = await self.client.claim()
        if body is None:
            return None
        results = []
        for item in body.get("items") or []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                continue
            openid = str(item.get("address") or "")
            result = await self.api.send_message(openid, {"msgtype": "text", "text": {"content": str(item.get("text"))}})
            if not result.ok:
                logger.warning("wechat.handoff.undelivered user=%s handoff=%s errcode=%s window=%s", mask_openid(openid),
                               item.get("handoff_id"), result.errcode, result.errcode in WINDOW_CODES)
            results.append({"id": item["id"], "delivered": bool(result.ok)})
        if results:
            await self.client.report(results)
        still_open = int(body.get("open") or 0)
        return still_open + len(results)

    def ensure_poller(self) -> None:
        """Start the poller on the running loop unless it runs already."""
        if self._poller is None or self._poller.done():
            self._poller = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        """Poll while a WeChat handoff is open or replies keep coming (a short backend outage is waited out)."""
        failed = 0
        while failed < MAX_FAILED_POLLS:
            try:
                busy = await self.poll_once()
            except Exception as exc:  # noqa: BLE001 - the poller must go on for the other users
                logger.error("wechat.handoff.poll_failed error=%s", type(exc).__name__)
                busy = None
            if busy == 0:
                return
            failed = failed + 1 if busy is None else 0
            await asyncio.sleep(self.poll_s)

    async def stop(self) -> None:
        """Stop the poller (tests, shutdown)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
