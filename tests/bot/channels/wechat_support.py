"""Shared helpers of the WeChat channel tests: constants, signed queries, a scripted fake Rasa, the harness."""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import httpx
from rasa.core.channels.channel import UserMessage

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_crypto import sign
from bot.stores import mark_store_failure
from tests.fakes.handoff_backend import FakeHandoffBackend
from tests.fakes.scripted_backend import ScriptedBackend
from tests.fakes.wechat_api_server import FakeWeChatRecorder

TOKEN = "AAAAA"  # the token of WeChat's official URL-verification vector
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
AES_KEY_PREVIOUS = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WEBHOOK = "/webhooks/wechat/webhook"


def signed_query(timestamp: Optional[str] = None, nonce: Optional[str] = None, token: str = TOKEN) -> Dict[str, str]:
    """Return the signature, timestamp (now by default) and nonce (fresh by default) of a genuine push."""
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    nonce = nonce if nonce is not None else str(uuid.uuid4().int % 10**9)
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


@dataclass
class FakeRasa:
    """A stand-in for Rasa's `on_new_message`: records messages and replies from a script."""

    script: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    default: List[Dict[str, Any]] = field(default_factory=lambda: [{"text": "收到。"}])
    received: List[UserMessage] = field(default_factory=list)
    gate: Optional[asyncio.Event] = None
    fail_with: Optional[Exception] = None
    store_fails: bool = False  # a tracker store call fails during the turn (Rasa's fail-safe store then goes on)

    async def __call__(self, message: UserMessage) -> None:
        """Record the message, optionally wait on the gate, then dispatch the scripted responses."""
        self.received.append(message)
        if self.gate is not None:
            await self.gate.wait()
        if self.store_fails:
            mark_store_failure()  # what the observed tracker store does when a call fails
        if self.fail_with is not None:
            raise self.fail_with
        for response in self.script.get(message.text or "", self.default):
            await message.output_channel.send_response(message.sender_id, dict(response))

    @property
    def texts(self) -> List[Optional[str]]:
        """Return the texts Rasa received, in order."""
        return [m.text for m in self.received]


@dataclass
class FakeTrackers:
    """A stand-in for Rasa's tracker store: which field each conversation's form is asking for."""

    requested: Dict[str, str] = field(default_factory=dict)
    fails: bool = False

    async def retrieve(self, sender_id: str) -> Optional[SimpleNamespace]:
        """The conversation's tracker (its active form and requested slot), or None when it has none."""
        if self.fails:
            raise ConnectionError("tracker store down")
        slot = self.requested.get(sender_id)
        if slot is None:
            return None
        return SimpleNamespace(active_loop_name="reissue_form",
                               get_slot=lambda name: slot if name == "requested_slot" else None)


@dataclass
class ChannelHarness:
    """A served app with the WeChat blueprint, its channel, the fake Rasa, the fake WeChat API and the send pauses."""

    client: httpx.AsyncClient
    channel: WeChatInput
    rasa: FakeRasa
    recorder: FakeWeChatRecorder
    api_base: str
    sleeps: List[float] = field(default_factory=list)
    backend: Optional[ScriptedBackend] = None
    trackers: FakeTrackers = field(default_factory=FakeTrackers)
    queue: Optional[FakeHandoffBackend] = None

    async def post(self, body: str, params: Optional[Dict[str, str]] = None) -> httpx.Response:
        """POST a push to the webhook, signed unless `params` is given."""
        return await self.client.post(
            WEBHOOK, params=params if params is not None else signed_query(), content=body.encode("utf-8")
        )
