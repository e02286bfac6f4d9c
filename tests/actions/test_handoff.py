"""The hand-over to a person: the live queue on the widget during staffed hours, else the hotline and hall."""
from __future__ import annotations

from dataclasses import replace

import pytest

import actions.wiring as wiring
from actions.handoff import ActionHandoff
from reissue import knowledge
from reissue.masking import mask_phone
from reissue.settings import get_settings
from tests.fakes.handoff_client import FakeHandoffClient

PHONE = "13912345678"


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> FakeHandoffClient:
    """A fake queue wired in place of the real client, with staff there at every hour."""
    fake = FakeHandoffClient()
    monkeypatch.setattr(wiring, "handoff_client", lambda: fake)
    monkeypatch.setattr("actions.handoff.get_settings", lambda: replace(get_settings(), handoff_hours="always"))
    return fake


async def test_mid_form_the_widget_user_is_queued_with_a_masked_summary(make_tracker, dispatcher, domain, said, queue):
    events = [{"event": "bot", "text": "请问您的手机号是？"}, {"event": "user", "text": f"我手机是{PHONE}吗"}]
    tracker = make_tracker("转人工", intent="human_handoff", metadata={"channel": "web"}, events=events,
                           slots={"qualification": "一级建造师", "phone": PHONE, "requested_slot": "city"})
    result = await ActionHandoff().run(dispatcher, tracker, domain)
    assert result == [{"event": "followup", "timestamp": None, "name": "action_listen"}]
    (channel, summary), = queue.opened
    assert channel == "web" and summary["topic"] == knowledge.message("handoff_topic_reissue")
    assert summary["asking"] == "受理地市"
    assert {"label": "手机号", "value": mask_phone(PHONE)} in summary["fields"] and PHONE not in str(summary)
    assert [t["who"] for t in summary["turns"]] == ["bot", "user", "user"]
    assert knowledge.message("handoff_queued", ahead=0) in said()
    assert dispatcher.messages[-1]["custom"] == {"type": "handoff", "handoff_id": 1, "token": "token-0001-abcdefghijkl"}


async def test_outside_a_form_nothing_follows(make_tracker, dispatcher, domain, queue):
    tracker = make_tracker("转人工", intent="human_handoff", metadata={"channel": "web"}, active_loop=None)
    assert await ActionHandoff().run(dispatcher, tracker, domain) == []
    assert queue.opened[0][1]["topic"] == knowledge.message("handoff_topic_question")
    assert queue.opened[0][1]["asking"] == ""


async def test_other_channels_and_a_down_queue_get_the_hotline(make_tracker, dispatcher, domain, said, queue):
    for metadata in ({"channel": "hotline"}, {"channel": "rest"}):
        await ActionHandoff().run(dispatcher, make_tracker("转人工", metadata=metadata), domain)
    queue.down = True
    assert await ActionHandoff().run(dispatcher, make_tracker("转人工", metadata={"channel": "web"}), domain) == []
    assert queue.opened == [] and said().count(knowledge.message("handoff")) == 3
    assert not any(m.get("custom") for m in dispatcher.messages)


async def test_outside_staffed_hours_the_hall_hours_are_said(make_tracker, dispatcher, domain, said, queue,
                                                            monkeypatch):
    monkeypatch.setattr("actions.handoff.staffed", lambda now, hours: False)
    await ActionHandoff().run(dispatcher, make_tracker("转人工", metadata={"channel": "web"}), domain)
    assert queue.opened == [] and knowledge.message("handoff_off_hours") in said()
    assert knowledge.message("handoff") in said()
