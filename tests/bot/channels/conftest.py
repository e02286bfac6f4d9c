"""Fixtures for the WeChat channel tests: the fake WeChat API and the channel served by Sanic on loopback,
in plain mode (`harness`) and in safe mode (`safe_harness`)."""
from __future__ import annotations

import contextlib
import socket
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import AsyncIterator, Iterator, List, Tuple

import httpx
import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_api import WeChatApiClient
from bot.channels.wechat_handoff import WeChatHandoffs
from bot.channels.wechat_media import PhotoIntake
from tests.bot.channels.wechat_support import AES_KEY, AES_KEY_PREVIOUS, TOKEN, ChannelHarness, FakeRasa, FakeTrackers
from tests.fakes.handoff_backend import start_handoff_backend
from tests.fakes.scripted_backend import backend, closed_port_url, start_backend, stop_backend  # noqa: F401 - fixtures
from tests.fakes.wechat_api_server import FAKE_APPID, FAKE_SECRET, FakeWeChatRecorder, start_fake_wechat_api


@pytest.fixture
def fake_wechat() -> Iterator[Tuple[str, FakeWeChatRecorder]]:
    """Run the fake WeChat API server for one test."""
    base_url, recorder, stop = start_fake_wechat_api()
    try:
        yield base_url, recorder
    finally:
        stop()


def _free_port() -> int:
    """Return a free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sleeps:
    """An instant stand-in for asyncio.sleep that records the pauses asked for."""

    def __init__(self) -> None:
        """No pause yet."""
        self.calls: List[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record the pause and return at once."""
        self.calls.append(seconds)


@contextlib.asynccontextmanager
async def serve_channel(
    fake_wechat: Tuple[str, FakeWeChatRecorder], var_dir: Path, handoff_url: str = "", **keys: str
) -> AsyncIterator[ChannelHarness]:
    """Serve the channel blueprint on loopback with the fake API (send retries instant), a scripted backend for
    photo uploads, a fake tracker store and the given keys; the handoffs at `handoff_url` (default: a fake in which
    nobody is ever in a handoff)."""
    base_url, recorder = fake_wechat
    sleeps = Sleeps()
    api = WeChatApiClient(FAKE_APPID, FAKE_SECRET, base_url, var_dir, timeout=(2.0, 5.0), sleep=sleeps)
    photo_backend = start_backend()
    queue = start_handoff_backend()
    handoffs = WeChatHandoffs(api, handoff_url or queue.url, "bot-token", poll_s=0.05)
    channel = WeChatInput(token=TOKEN, appid=FAKE_APPID, secret=FAKE_SECRET, api_base=base_url, api_client=api,
                          photo_intake=PhotoIntake(api, photo_backend.url), handoffs=handoffs,
                          handoff_mode="console", **keys)
    rasa = FakeRasa()
    trackers = FakeTrackers()
    app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}")
    # Mount the channel exactly as `rasa run` does; Rasa's handler calls app.ctx.agent.handle_message.
    app.ctx.agent = SimpleNamespace(handle_message=rasa, tracker_store=trackers)
    register([channel], app, route="/webhooks/")
    port = _free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.start_serving()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
            yield ChannelHarness(client, channel, rasa, recorder, base_url, sleeps.calls, photo_backend, trackers, queue)
            await channel.wait_idle()
    finally:
        server.close()
        await server.wait_closed()
        await handoffs.stop()
        stop_backend(photo_backend)
        queue.stop()


@pytest.fixture
async def harness(
    fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ChannelHarness]:
    """The channel in plain mode (no EncodingAESKey), as the console's 明文模式."""
    # Sanic rewrites its HTTP methods at start-up; test mode lets several apps start in one process.
    monkeypatch.setattr(Sanic, "test_mode", True)
    async with serve_channel(fake_wechat, tmp_path / "var") as served:
        yield served


@pytest.fixture
async def safe_harness(
    fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ChannelHarness]:
    """The channel in safe mode (安全模式) with the current and the previous EncodingAESKey."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    async with serve_channel(fake_wechat, tmp_path / "var", aes_key=AES_KEY, aes_key_previous=AES_KEY_PREVIOUS) as served:
        yield served
