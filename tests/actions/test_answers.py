"""One-turn answers: greeting buttons, scope, hand-over, computed dates, fallback suggestions."""
from __future__ import annotations

from datetime import date

from actions.answers import (
    ActionChitchat, ActionDefaultAskAffirmation, ActionGreet, ActionHandoff, ActionOutOfScope, completion_text,
    suggestion_buttons,
)
from bot import knowledge


async def test_greeting_offers_hot_topics_and_applying(make_tracker, dispatcher, domain) -> None:
    """The greeting carries the hot questions, "apply" and "progress" as buttons."""
    await ActionGreet().run(dispatcher, make_tracker("你好", intent="greet", active_loop=None), domain)
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles[: len(knowledge.hot_topics())] == [knowledge.faq_entries()[k].title for k in knowledge.hot_topics()]
    assert "我要申请补办" in titles and "查询办理进度" in titles


async def test_message_actions_say_their_knowledge_message(make_tracker, dispatcher, domain, said) -> None:
    """Scope, chit-chat and hand-over each say their own message from the knowledge base."""
    tracker = make_tracker("x", active_loop=None)
    for action, key in ((ActionOutOfScope(), "out_of_scope"), (ActionChitchat(), "chitchat"), (ActionHandoff(), "handoff")):
        await action.run(dispatcher, tracker, domain)
        assert knowledge.message(key) in said()
    assert {ActionOutOfScope().name(), ActionChitchat().name(), ActionHandoff().name()} == {
        "action_out_of_scope", "action_chitchat", "action_handoff"}


def test_completion_date_counts_working_days() -> None:
    """65 working days from 2026-09-01 skip National Day week and weekends."""
    text = completion_text(date(2026, 9, 1))
    assert "2026年09月01日" in text and "65个工作日" in text
    assert "2026年12月" in text


def test_fallback_suggests_the_two_most_likely_topics() -> None:
    """An unclear message gets the two best topics, FAQ answers named by their titles."""
    latest = {
        "intent_ranking": [{"name": "faq", "confidence": 0.4}, {"name": "start_reissue", "confidence": 0.3}],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": "faq/fee"}, {"intent_response_key": "faq/newspaper"}]}},
    }
    buttons = suggestion_buttons(latest)
    assert [b["title"] for b in buttons] == [knowledge.faq_entries()["fee"].title, "我要申请补办"]


async def test_ask_affirmation_always_offers_none_of_these(make_tracker, dispatcher, domain) -> None:
    """The clarifying question ends with a "none of these" button."""
    await ActionDefaultAskAffirmation().run(dispatcher, make_tracker("嗯？", intent="nlu_fallback", active_loop=None), domain)
    assert dispatcher.messages[0]["buttons"][-1]["title"] == "都不是"
