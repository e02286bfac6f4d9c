"""The live handoff for WeChat users (console mode), its state in the real backend: queued, the user's messages to
the person and the person's replies through the send API — through two channel instances (two Rasa workers) that
share it, each reply sent exactly once; a reply WeChat refuses beyond its window shown to staff and followed by the
hotline when the user writes again; nobody taking it in time offers a callback number, answered in WeChat."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import httpx
import pytest
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from sqlalchemy import select

from backend.callback_models import Callback
from backend.handoff_models import Handoff
from backend.numbering import utc_now_naive
from bot.channels.wechat import to_xml
from bot.channels.wechat_handoff import tracker_summary
from reissue import knowledge
from tests.backend.backend_helpers import STAFF, synthetic_id
from tests.bot.channels.backend_server import ServedBackend, serve_backend
from tests.bot.channels.conftest import serve_channel
from tests.bot.channels.wechat_support import ChannelHarness
from tests.fakes.wechat_api_server import FakeWeChatRecorder

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
ID_NUMBER = synthetic_id("37010219900307123")
PHONE = "13912345678"
_ids = iter(range(8_000_000_000_000_000_001, 9_000_000_000_000_000_000))


def text(content: str) -> Dict[str, Any]:
    """A text push from the test user."""
    return {"ToUserName": "gh_0123456789ab", "FromUserName": OPENID, "CreateTime": int(time.time()),
            "MsgType": "text", "Content": content, "MsgId": next(_ids)}


async def say(harness: ChannelHarness, content: str) -> None:
    """Push one text to this worker and wait until its turn is done."""
    assert (await harness.post(to_xml(text(content)))).text == "success"
    await harness.channel.wait_idle()


def sent(recorder: FakeWeChatRecorder) -> List[str]:
    """The texts WeChat took for the test user."""
    return [s.content for s in recorder.delivered(OPENID)]


async def wait_until(predicate, timeout: float = 5.0) -> None:
    """Let the pollers run on this loop until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert predicate()


def staff(backend: ServedBackend, path: str, body: Any = None) -> Dict[str, Any]:
    """A staff call to the backend (a JSON body only where given)."""
    response = httpx.post(f"{backend.url}{path}", headers=STAFF, **({"json": body} if body is not None else {}))
    assert response.status_code in (200, 201), response.text
    return response.json()


def handoff_of(backend: ServedBackend) -> Dict[str, Any]:
    """The one handoff, as staff read it."""
    (item,) = httpx.get(f"{backend.url}/api/v1/handoffs", headers=STAFF).json()["items"]
    return httpx.get(f"{backend.url}/api/v1/handoffs/{item['id']}", headers=STAFF).json()


@pytest.fixture
def staffed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff are there at every hour."""
    monkeypatch.setenv("HANDOFF_HOURS", "always")


@pytest.fixture
async def workers(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  staffed) -> AsyncIterator[Tuple[ServedBackend, ChannelHarness, ChannelHarness]]:
    """The real backend and two channel instances in front of it, as two Rasa workers."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    with serve_backend(tmp_path / "backend", backend_id_hmac_key="k", backend_id_secret="s") as backend:
        async with serve_channel(fake_wechat, tmp_path / "a", handoff_url=backend.url) as first, \
                serve_channel(fake_wechat, tmp_path / "b", handoff_url=backend.url) as second:
            yield backend, first, second


async def test_two_workers_share_the_handoff_and_each_reply_is_sent_once(workers) -> None:
    backend, first, second = workers
    recorder = first.recorder
    await say(first, "转人工")
    assert first.rasa.received == [] and sent(recorder) == [knowledge.message("handoff_queued", ahead=0)]
    assert handoff_of(backend)["summary"]["turns"] == [{"who": "user", "text": "转人工"}]

    await say(second, f"我的身份证是{ID_NUMBER}，证书丢了")
    assert second.rasa.received == [] and first.rasa.received == []
    handoff = handoff_of(backend)
    assert [m["text"] for m in handoff["messages"]] == [f"我的身份证是370102********{ID_NUMBER[-4:]}，证书丢了"]
    staff(backend, f"/api/v1/handoffs/{handoff['id']}/take")
    staff(backend, f"/api/v1/handoffs/{handoff['id']}/messages", {"text": "您好，我是工作人员。"})
    await wait_until(lambda: "您好，我是工作人员。" in sent(recorder))
    staff(backend, f"/api/v1/handoffs/{handoff['id']}/release")
    await wait_until(lambda: any("交回智能助手" in t for t in sent(recorder)))
    await asyncio.sleep(0.3)  # both pollers keep asking: nothing is sent twice
    assert sent(recorder) == [knowledge.message("handoff_queued", ahead=0), knowledge.message("handoff_taken"),
                              "您好，我是工作人员。", knowledge.message("handoff_released",
                                                                resume=knowledge.message("handoff_resume_free"))]
    assert len(recorder.sends) == 4
    await say(second, "补办要交钱吗")
    assert second.rasa.texts == ["补办要交钱吗"]


async def test_a_reply_beyond_the_window_is_shown_undelivered_and_the_user_gets_the_hotline(workers) -> None:
    backend, first, second = workers
    recorder = first.recorder
    await say(first, "转人工")
    handoff_id = handoff_of(backend)["id"]
    staff(backend, f"/api/v1/handoffs/{handoff_id}/take")
    await wait_until(lambda: knowledge.message("handoff_taken") in sent(recorder))
    recorder.script_send_errcodes(45015)
    staff(backend, f"/api/v1/handoffs/{handoff_id}/messages", {"text": "材料收到了吗？"})
    await wait_until(lambda: any(s.errcode == 45015 for s in recorder.sends))
    await wait_until(lambda: handoff_of(backend)["messages"][-1]["undelivered"] is True)
    page_ready = handoff_of(backend)["messages"]
    assert [(m["text"], m["undelivered"]) for m in page_ready][-1] == ("材料收到了吗？", True)
    await say(second, "我回来了")
    notice = knowledge.message("handoff_undelivered") + "\n" + knowledge.message("handoff")
    assert sent(recorder)[-1] == notice and "12333" in notice
    assert second.rasa.received == [] and handoff_of(backend)["messages"][-1]["text"] == "我回来了"
    await say(first, "还在吗")
    assert sent(recorder).count(notice) == 1


async def test_nobody_taking_it_offers_a_callback_number_answered_in_wechat(workers, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    backend, first, second = workers
    recorder = first.recorder
    await say(first, "转人工")
    with backend.app.state.factory.begin() as session:
        session.execute(select(Handoff)).scalars().one().created_at = utc_now_naive() - timedelta(hours=1)
    offer = knowledge.message("callback_offer", days=7)
    await wait_until(lambda: bool(sent(recorder)) and sent(recorder)[-1].endswith(offer))
    assert knowledge.message("handoff_expired") in sent(recorder)[-1] and "12333" in sent(recorder)[-1]
    await say(second, "好的")
    assert sent(recorder)[-1] == knowledge.message("callback_ask_number")
    await say(first, PHONE)
    assert "139****5678" in sent(recorder)[-1] and first.rasa.received == [] and second.rasa.received == []
    await say(second, "补办要交钱吗")
    assert second.rasa.texts == ["补办要交钱吗"]
    with backend.app.state.factory() as session:
        row = session.execute(select(Callback)).scalars().one()
        assert (row.status, row.channel, row.phone_masked) == ("open", "wechat", "139****5678")
    assert PHONE not in caplog.text and not [s for s in recorder.sends if PHONE in str(s.body)]


async def test_outside_staffed_hours_the_assistant_answers(harness: ChannelHarness, monkeypatch) -> None:
    """No person now: "转人工" reaches the assistant (which gives the hotline, the hall and the callback offer)."""
    monkeypatch.setattr("bot.channels.wechat.staffed", lambda now, hours: False)
    await say(harness, "转人工")
    assert harness.rasa.texts == ["转人工"] and harness.queue is not None
    assert "/api/v1/handoffs" not in harness.queue.paths


async def test_platform_mode_never_queues(harness: ChannelHarness, staffed) -> None:
    """WECHAT_HANDOFF=platform keeps WeChat's own customer-service tool (the push's passive reply)."""
    harness.channel.handoff_mode = "platform"
    response = await harness.post(to_xml(text("转人工")))
    assert "transfer_customer_service" in response.text
    assert harness.queue is not None and harness.queue.paths == []


async def test_a_numbered_choice_for_a_person_queues_the_conversation(workers) -> None:
    backend, first, _second = workers
    first.rasa.script["能出英文版吗"] = [{"text": "指南里没有写到。", "buttons": [knowledge.button("handoff")]}]
    await say(first, "能出英文版吗")
    await say(first, "1")
    assert first.rasa.texts == ["能出英文版吗"] and handoff_of(backend)["status"] == "waiting"


def test_the_summary_comes_from_the_tracker_masked() -> None:
    tracker = DialogueStateTracker.from_events("wechat:o1", [UserUttered(f"身份证{ID_NUMBER}"), BotUttered("请问手机号？")])
    summary = tracker_summary(tracker, "转人工")
    assert [t["who"] for t in summary["turns"]] == ["user", "bot", "user"]
    assert ID_NUMBER not in str(summary) and summary["asking"] == ""
    assert tracker_summary(None, "转人工")["turns"] == [{"who": "user", "text": "转人工"}]
