"""One-turn answers: greeting buttons, scope, computed dates, fallback suggestions."""
from __future__ import annotations

from datetime import date

from actions.answers import (
    ActionAnswerQuestions,
    ActionChitchat,
    ActionDefaultAskAffirmation,
    ActionGreet,
    suggestion_buttons,
)
from reissue import knowledge
from reissue.answering.render import completion_text


async def test_greeting_offers_hot_topics_and_applying(make_tracker, dispatcher, domain) -> None:
    """The greeting carries the hot questions, "apply" and "progress" as buttons."""
    await ActionGreet().run(dispatcher, make_tracker("你好", intent="greet", active_loop=None), domain)
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles[: len(knowledge.hot_topics())] == [knowledge.faq_entries()[k].title for k in knowledge.hot_topics()]
    assert "我要申请补办" in titles and "查询办理进度" in titles


async def test_message_actions_say_their_knowledge_message(make_tracker, dispatcher, domain, said) -> None:
    """Chit-chat says its own message from the knowledge base."""
    await ActionChitchat().run(dispatcher, make_tracker("x", active_loop=None), domain)
    assert knowledge.message("chitchat") in said()
    assert ActionChitchat().name() == "action_chitchat"


def question(label: str, text: str, **extra: object) -> dict:
    """One planned question in the parse data's form."""
    return {"label": label, "text": text, "confidence": 0.9, "guesses": [], "details": {}, **extra}


async def test_every_question_of_the_plan_is_answered_in_one_message(make_tracker, dispatcher, domain, fake_backend) -> None:
    """"要交钱吗？多久能办好？" gets the fee and the duration, in that order, in one reply; nothing is recorded."""
    plan = {"questions": [question("fee", "要交钱吗"), question("duration", "多久能办好")]}
    await ActionAnswerQuestions().run(dispatcher, make_tracker("要交钱吗？多久能办好？", intent="faq", plan=plan), domain)
    assert len(dispatcher.messages) == 1
    text = dispatcher.messages[0]["text"]
    assert text.index(knowledge.answer("fee")) < text.index(knowledge.answer("duration"))
    assert fake_backend.unanswered == []


async def test_a_question_the_guide_does_not_answer_is_said_so_and_recorded(
    make_tracker, dispatcher, domain, fake_backend, said
) -> None:
    """Abstaining says the guide does not cover it, gives the human route and a nearby topic, and records it masked."""
    plan = {"questions": [question("not_in_guide", "补好的证书能寄到家吗，我手机13800138000",
                                   guesses=[{"label": "collect_reissued", "confidence": 0.4}])]}
    tracker = make_tracker("补好的证书能寄到家吗，我手机13800138000", intent="not_in_guide", plan=plan,
                           metadata={"channel": "wechat"}, active_loop=None)
    await ActionAnswerQuestions().run(dispatcher, tracker, domain)
    assert knowledge.message("not_in_guide") in said() and knowledge.fact("hotline") in said()
    assert dispatcher.messages[0]["buttons"][0]["title"] == knowledge.faq_entries()["collect_reissued"].title
    [record] = fake_backend.unanswered
    assert record["kind"] == "abstain" and record["channel"] == "wechat"
    assert "13800138000" not in record["text"] and record["guesses"][0]["label"] == "collect_reissued"


async def test_a_failed_record_does_not_change_the_reply(make_tracker, dispatcher, domain, fake_backend, said) -> None:
    """The backend refusing the record is only logged: the applicant still gets the answer."""
    fake_backend.record_ok = False
    plan = {"questions": [question("not_in_guide", "能出英文版吗")]}
    await ActionAnswerQuestions().run(dispatcher, make_tracker("能出英文版吗", intent="not_in_guide", plan=plan), domain)
    assert knowledge.message("not_in_guide") in said()


async def test_without_a_plan_no_answer_is_guessed(make_tracker, dispatcher, domain, fake_backend, said) -> None:
    """A message the NLU made no plan for is asked to be put differently, never answered with a guess."""
    await ActionAnswerQuestions().run(dispatcher, make_tracker("要交钱吗", intent="faq"), domain)
    assert said() == knowledge.message("unclear")


def test_completion_date_counts_working_days() -> None:
    """65 working days from 2026-09-01 skip National Day week and weekends."""
    text = completion_text(date(2026, 9, 1))
    assert "2026年09月01日" in text and "65个工作日" in text
    assert "2026年12月" in text


def test_fallback_suggests_the_two_most_likely_topics() -> None:
    """An unclear message gets the plan's two best guesses, FAQ answers named by their titles."""
    latest = {"answer_plan": {"questions": [{"label": "unclear", "guesses": [
        {"label": "fee", "confidence": 0.3}, {"label": "start_reissue", "confidence": 0.2},
        {"label": "greet", "confidence": 0.1}, {"label": "newspaper", "confidence": 0.1}]}]}}
    buttons = suggestion_buttons(latest)
    assert [b["title"] for b in buttons] == [knowledge.faq_entries()["fee"].title, "我要申请补办"]
    assert suggestion_buttons({}) == []


async def test_ask_affirmation_always_offers_none_of_these(make_tracker, dispatcher, domain) -> None:
    """The clarifying question ends with a "none of these" button."""
    await ActionDefaultAskAffirmation().run(dispatcher, make_tracker("嗯？", intent="nlu_fallback", active_loop=None), domain)
    assert dispatcher.messages[0]["buttons"][-1]["title"] == "都不是"
