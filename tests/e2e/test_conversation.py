"""Whole FAQ conversations over HTTP against the real Rasa server and action server."""
from __future__ import annotations

import pytest
import requests


def test_greeting_offers_the_hottest_questions(stack, sender) -> None:
    """The greeting answers with quick replies for the hot questions and for applying."""
    replies = stack.send(sender, "你好")
    buttons = [b["title"] for m in replies for b in m.get("buttons", [])]
    assert "补办要交钱吗" in buttons and "需要登报挂失吗" in buttons and "我要申请补办" in buttons


@pytest.mark.parametrize(
    "question, expected",
    [
        ("补办证书还要登报吗", "不需要登报"),
        ("補辦證書要收費嗎", "不收费"),
        ("补个证大概要多久啊", "两个多月"),
        ("急着用证书怎么办", "证书查验"),
        ("照片有啥要求", "295×413"),
        ("政务大厅在什么地方", "解放东路16号"),
    ],
)
def test_faq_answers_come_from_the_guide(stack, sender, question, expected) -> None:
    """Common questions, typed the way people type, get the guide's answer."""
    assert expected in stack.texts(sender, question)


def test_out_of_scope_gets_scope_and_where_to_go(stack, sender) -> None:
    """Another service is declined politely with the hotline."""
    reply = stack.texts(sender, "驾驶证丢了怎么补办")
    assert "12333" in reply and "不在" in reply


def test_handoff_gives_the_human_route(stack, sender) -> None:
    """"转人工" gets the hotline and the hall."""
    reply = stack.texts(sender, "转人工")
    assert "12333" in reply and "A1窗口" in reply


def test_completion_date_is_computed(stack, sender) -> None:
    """"If I apply today" gets a concrete date from the working-day calendar."""
    reply = stack.texts(sender, "如果今天申请，大概哪天能办好")
    assert "预计" in reply and "年" in reply and "65个工作日" in reply


@pytest.mark.parametrize(
    "message",
    ["", "   ", "😀😀😀", "啊" * 5000, "<script>alert('x')</script>", "\x00\x01\x02\x1b[31m", "Hello 你好 مرحبا Привет 123"],
    ids=["empty", "spaces", "emoji", "5000-chars", "script-tag", "control-chars", "mixed-scripts"],
)
def test_bad_input_gets_a_polite_reply(stack, sender, message) -> None:
    """Odd input never errors and never meets silence."""
    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert response.status_code == 200
    texts = [m.get("text", "") for m in response.json()]
    assert any(texts), f"no reply to {message[:20]!r}"
