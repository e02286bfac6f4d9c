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


async def test_outside_staffed_hours_the_widget_user_is_offered_a_callback(make_tracker, dispatcher, domain, said,
                                                                         queue, monkeypatch):
    monkeypatch.setattr("actions.handoff.staffed", lambda now, hours: False)
    tracker = make_tracker("转人工", intent="human_handoff", metadata={"channel": "web"},
                           slots={"phone": PHONE, "requested_slot": "cert_number"})
    result = await ActionHandoff().run(dispatcher, tracker, domain)
    assert result == [{"event": "followup", "timestamp": None, "name": "action_listen"}]
    (channel, summary, conversation), = queue.offers
    assert channel == "web" and conversation == "" and summary["asking"] == "证书管理号" and PHONE not in str(summary)
    assert said() == "\n".join((knowledge.message("handoff_off_hours"), knowledge.message("handoff"),
                                knowledge.message("callback_offer", days=7)))
    assert dispatcher.messages[-1]["custom"] == {"type": "callback", "callback_id": 1, "token": "cb-token-0001-abcdefgh"}
    assert queue.opened == []


async def test_outside_staffed_hours_a_wechat_user_is_offered_one_by_conversation(make_tracker, dispatcher, domain,
                                                                                said, queue, monkeypatch):
    monkeypatch.setattr("actions.handoff.staffed", lambda now, hours: False)
    tracker = make_tracker("转人工", intent="human_handoff", metadata={"channel": "wechat"}, active_loop=None)
    assert await ActionHandoff().run(dispatcher, tracker, domain) == []
    assert [(c, conv) for c, _s, conv in queue.offers] == [("wechat", tracker.sender_id)]
    assert knowledge.message("callback_offer", days=7) in said()
    assert not any(m.get("custom") for m in dispatcher.messages)


async def test_no_offer_where_the_channel_cannot_carry_it_or_the_backend_refuses(make_tracker, dispatcher, domain,
                                                                               said, queue, monkeypatch):
    monkeypatch.setattr("actions.handoff.staffed", lambda now, hours: False)
    await ActionHandoff().run(dispatcher, make_tracker("转人工", metadata={"channel": "rest"}), domain)
    monkeypatch.setattr("actions.handoff.get_settings", lambda: replace(get_settings(), wechat_handoff="platform"))
    await ActionHandoff().run(dispatcher, make_tracker("转人工", metadata={"channel": "wechat"}), domain)
    queue.down = True
    assert await ActionHandoff().run(dispatcher, make_tracker("转人工", metadata={"channel": "web"}), domain) == []
    assert queue.offers == [] and "回电" not in said() and said().count(knowledge.message("handoff")) == 3


async def test_an_abstention_offers_the_handoff_button_while_staff_are_there(make_tracker, dispatcher, domain, queue,
                                                                           fake_backend, monkeypatch):
    from actions.answers import ActionAnswerQuestions

    plan = {"questions": [{"label": "not_in_guide", "text": "能出英文版吗", "details": {}, "guesses": []}]}
    tracker = make_tracker("能出英文版吗", intent="not_in_guide", plan=plan, metadata={"channel": "web"}, active_loop=None)
    await ActionAnswerQuestions().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["buttons"] == [knowledge.button("handoff")]
    answered = {"questions": [{"label": "fee", "text": "要交钱吗", "details": {}, "guesses": []}]}
    await ActionAnswerQuestions().run(dispatcher, make_tracker("要交钱吗", intent="faq", plan=answered,
                                                               metadata={"channel": "web"}), domain)
    assert knowledge.button("handoff") not in dispatcher.messages[-1]["buttons"]
    monkeypatch.setattr("actions.handoff.staffed", lambda now, hours: False)
    await ActionAnswerQuestions().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["buttons"] == []
