"""The live handoff for WeChat users (console mode): queued, the user's messages to the person, the person's
replies through the send API within WeChat's window, the hand-back to the assistant."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Dict

import pytest
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.wechat import to_xml
from bot.channels.wechat_handoff import WINDOW_MESSAGES, Live, tracker_summary
from reissue import knowledge
from tests.backend.backend_helpers import synthetic_id
from tests.bot.channels.wechat_support import ChannelHarness

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
ID_NUMBER = synthetic_id("37010219900307123")
_ids = iter(range(8_000_000_000_000_000_001, 9_000_000_000_000_000_000))


def text(content: str) -> Dict[str, Any]:
    """A text push from the test user."""
    return {"ToUserName": "gh_0123456789ab", "FromUserName": OPENID, "CreateTime": int(time.time()),
            "MsgType": "text", "Content": content, "MsgId": next(_ids)}


async def say(harness: ChannelHarness, content: str) -> None:
    """Push one text and wait until its turn is done."""
    assert (await harness.post(to_xml(text(content)))).text == "success"
    await harness.channel.wait_idle()


async def wait_sent(harness: ChannelHarness, count: int, timeout: float = 5.0) -> None:
    """Let the poller run on this loop until `count` texts reached the user."""
    deadline = time.monotonic() + timeout
    while len(sent(harness)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def sent(harness: ChannelHarness) -> list:
    """The texts delivered to the test user."""
    return [s.content for s in harness.recorder.delivered(OPENID)]


@pytest.fixture
def staffed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff are there at every hour."""
    monkeypatch.setenv("HANDOFF_HOURS", "always")


async def test_a_wechat_user_reaches_a_person_and_comes_back(harness: ChannelHarness, staffed) -> None:
    assert harness.queue is not None
    await say(harness, "转人工")
    assert harness.rasa.received == [] and sent(harness) == [knowledge.message("handoff_queued", ahead=0)]
    (handoff,) = harness.queue.handoffs.values()
    assert handoff.summary["topic"] == knowledge.message("handoff_topic_question")
    assert handoff.summary["turns"] == [{"who": "user", "text": "转人工"}]
    assert harness.queue.bot_tokens == ["Bearer bot-token"]

    await say(harness, f"我的身份证是{ID_NUMBER}，证书丢了")
    assert harness.rasa.received == [] and handoff.user_texts == [f"我的身份证是{ID_NUMBER}，证书丢了"]
    harness.queue.reply(handoff.id, "您好，我是工作人员。")
    await wait_sent(harness, 2)
    assert sent(harness)[-1] == "您好，我是工作人员。"

    harness.queue.release(handoff.id, "工作人员已把对话交回智能助手。")
    await wait_sent(harness, 3)
    assert sent(harness)[-1] == "工作人员已把对话交回智能助手。"
    deadline = time.monotonic() + 5
    while harness.channel.handoffs.live and time.monotonic() < deadline:
        await harness.channel.handoffs.poll_once()
    await say(harness, "补办要交钱吗")
    assert harness.rasa.texts == ["补办要交钱吗"]


async def test_outside_staffed_hours_the_assistant_answers(harness: ChannelHarness, monkeypatch) -> None:
    """No person now: "转人工" reaches the assistant, which gives the hotline and the hall."""
    monkeypatch.setattr("bot.channels.wechat.staffed", lambda now, hours: False)
    await say(harness, "转人工")
    assert harness.rasa.texts == ["转人工"] and harness.queue is not None and harness.queue.handoffs == {}


async def test_platform_mode_never_queues(harness: ChannelHarness, staffed) -> None:
    """WECHAT_HANDOFF=platform keeps WeChat's own customer-service tool (the push's passive reply)."""
    harness.channel.handoff_mode = "platform"
    response = await harness.post(to_xml(text("转人工")))
    assert "transfer_customer_service" in response.text
    assert harness.queue is not None and harness.queue.handoffs == {}


async def test_replies_beyond_the_window_wait_for_the_user(harness: ChannelHarness, staffed) -> None:
    """WeChat allows five messages after a user message: later replies wait until the user writes again."""
    assert harness.queue is not None
    await say(harness, "转人工")
    (handoff,) = harness.queue.handoffs.values()
    for number in range(1, 7):
        harness.queue.reply(handoff.id, f"第{number}条")
    await wait_sent(harness, WINDOW_MESSAGES)
    await asyncio.sleep(0.3)
    assert sent(harness)[1:] == ["第1条", "第2条", "第3条", "第4条"]
    await say(harness, "好的")
    await wait_sent(harness, WINDOW_MESSAGES + 2)
    assert sent(harness)[-2:] == ["第5条", "第6条"] and handoff.user_texts == ["好的"]


def test_the_window_closes_after_48_hours_or_five_messages() -> None:
    live = Live(1, "t", user_at=1000.0)
    assert live.window_open(1000.0 + 47 * 3600)
    assert not live.window_open(1000.0 + 48 * 3600)
    live.sent = WINDOW_MESSAGES
    assert not live.window_open(1001.0)


def test_the_summary_comes_from_the_tracker_masked() -> None:
    tracker = DialogueStateTracker.from_events("wechat:o1", [UserUttered(f"身份证{ID_NUMBER}"), BotUttered("请问手机号？")])
    summary = tracker_summary(tracker, "转人工")
    assert [t["who"] for t in summary["turns"]] == ["user", "bot", "user"]
    assert ID_NUMBER not in str(summary) and summary["asking"] == ""
    assert tracker_summary(None, "转人工")["turns"] == [{"who": "user", "text": "转人工"}]
