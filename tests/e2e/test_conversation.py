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
    """Another document is named with where to go; anything else unrelated gets the scope and the hotline."""
    reply = stack.texts(sender, "驾驶证丢了怎么补办")
    assert "驾驶证" in reply and "车辆管理所" in reply and "不属于" in reply
    assert "12333" in stack.texts(sender, "明天济南天气怎么样，要不要带伞")


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


def unanswered(stack) -> list:
    """The unanswered questions the backend holds (staff API)."""
    response = requests.get(f"{stack.backend_url}/api/v1/unanswered", timeout=30,
                            headers={"Authorization": f"Bearer {stack.staff_token}"})
    response.raise_for_status()
    return response.json()["items"]


def test_every_question_of_a_message_is_answered_in_one_reply(stack, sender) -> None:
    """"要交钱吗？多久能办好？" — the fee and the duration, in that order, in one message; no form starts."""
    replies = stack.send(sender, "补证要交钱吗？多久能办好？")
    texts = [m["text"] for m in replies if m.get("text")]
    assert len(texts) == 1
    assert texts[0].index("不收费") < texts[0].index("两个多月")
    assert stack.tracker(sender)["active_loop"] in ({}, None) or not stack.tracker(sender)["active_loop"].get("name")


def test_a_question_the_guide_does_not_answer_is_said_so_and_recorded_masked(stack, sender) -> None:
    """No confident wrong answer: the guide does not say it, here is who can help; staff see it, masked."""
    reply = stack.texts(sender, "补发的证书能不能出一本英文版的？我手机13800138000")
    assert "指南里没有写到" in reply and "12333" in reply
    texts = [item["text"] for item in unanswered(stack)]
    assert any("英文版" in text for text in texts)
    assert not any("13800138000" in text for text in texts)


def test_another_document_is_named_with_where_to_go_and_no_form_starts(stack, sender) -> None:
    reply = stack.texts(sender, "教师资格证丢了怎么补，要登报吗")
    assert "教师资格证" in reply and "教育" in reply and "不需要登报" not in reply
    tracker = stack.tracker(sender)
    assert not (tracker.get("active_loop") or {}).get("name")


def test_a_certificate_from_another_province_goes_to_its_issuer(stack, sender) -> None:
    reply = stack.texts(sender, "我在江苏考的一级建造师，证书丢了，在山东能补吗")
    assert "江苏" in reply and "发放机构" in reply


def test_answers_use_what_the_person_said(stack, sender) -> None:
    """The certificate's year decides the photo answer; the city names its exam agency."""
    assert "需要一张电子版证件照" in stack.texts(sender, "我的证书是2015年的，要照片吗")
    assert "青岛市的人事考试机构" in stack.texts(sender, "我在青岛，证书丢了去哪儿办")
