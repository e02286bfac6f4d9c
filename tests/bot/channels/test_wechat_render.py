"""Tests of merging a bot turn into WeChat send-API messages, numbered choices and digit answers."""
from __future__ import annotations

import pytest

from bot.channels.wechat_render import (
    MAX_TEXT_BYTES,
    Choice,
    format_choices,
    is_handoff_request,
    pack_texts,
    parse_choice_number,
    render_turn,
    resolve_choice,
)
from reissue import knowledge

BUTTONS = [
    {"title": "遗失", "payload": '/inform{"reason":"lost"}'},
    {"title": "损毁", "payload": '/inform{"reason":"damaged"}'},
]


def contents(turn) -> list:
    """Return the text contents of a rendered turn."""
    return [p["text"]["content"] for p in turn.payloads if p["msgtype"] == "text"]


def test_texts_and_buttons_merge_into_one_message() -> None:
    """Three texts and a button prompt become one text, blank-line separated, with numbered choices."""
    turn = render_turn(
        [{"text": "您好！"}, {"text": "补发需要本人申请。"}, {"text": "证书是遗失还是损毁？", "buttons": BUTTONS}]
    )
    assert contents(turn) == ["您好！\n\n补发需要本人申请。\n\n证书是遗失还是损毁？\n回复数字：\n1. 遗失\n2. 损毁"]
    assert turn.choices == [
        Choice(1, "遗失", '/inform{"reason":"lost"}'),
        Choice(2, "损毁", '/inform{"reason":"damaged"}'),
    ]
    assert not turn.truncated


def test_choices_are_numbered_across_the_turn() -> None:
    """Buttons in two messages continue the numbering; a button without payload uses its title."""
    turn = render_turn([{"text": "A", "buttons": BUTTONS[:1]}, {"text": "B", "buttons": [{"title": "其他"}]}])
    assert [c.number for c in turn.choices] == [1, 2]
    assert turn.choices[1].payload == "其他"
    assert "B\n回复数字：\n2. 其他" in contents(turn)[0]


def test_buttons_without_text_and_images_and_attachments() -> None:
    """Buttons alone still render; images and attachments become text lines."""
    turn = render_turn([{"buttons": BUTTONS}, {"image": "https://example.org/a.png"}, {"attachment": "表格.pdf"}])
    text = contents(turn)[0]
    assert text.startswith("回复数字：\n1. 遗失")
    assert "图片：https://example.org/a.png" in text and "附件：表格.pdf" in text


def test_custom_wechat_payload_is_sent_as_is() -> None:
    """`custom: {wechat: {msgtype: link, link: ...}}` passes through; other custom data is ignored."""
    link = {"msgtype": "link", "link": {"title": "办事指南", "description": "d", "url": "https://x", "thumb_url": "t"}}
    turn = render_turn([{"text": "看这里"}, {"custom": {"wechat": link}}, {"custom": {"foo": 1}}])
    assert turn.payloads == [{"msgtype": "text", "text": {"content": "看这里"}}, link]


def test_empty_turn_renders_nothing() -> None:
    """A turn without output yields no payloads and no choices."""
    turn = render_turn([])
    assert turn.payloads == [] and turn.choices == []


def test_long_turn_splits_by_bytes_and_respects_quota() -> None:
    """Each text stays within the byte limit; the turn never exceeds the quota and keeps the choices."""
    paragraphs = [("证" * 300) for _ in range(12)]  # 900 bytes each
    messages = [{"text": p} for p in paragraphs] + [{"text": "请选择：", "buttons": BUTTONS}]
    turn = render_turn(messages, max_messages=5)
    texts = contents(turn)
    assert len(texts) == 5
    assert all(len(t.encode("utf-8")) <= MAX_TEXT_BYTES for t in texts)
    assert turn.truncated and knowledge.message("channel_wechat_truncated") in texts[-1]
    assert format_choices(turn.choices) in texts[-1]


def test_turn_within_quota_is_not_truncated() -> None:
    """Two long paragraphs need two messages and nothing is dropped."""
    turn = render_turn([{"text": "甲" * 600}, {"text": "乙" * 600}], max_messages=5)
    assert contents(turn) == ["甲" * 600, "乙" * 600] and not turn.truncated


def test_enter_quota_of_two() -> None:
    """With the greeting quota of 2 the turn yields at most 2 messages."""
    turn = render_turn([{"text": "丙" * 600} for _ in range(4)], max_messages=2)
    assert len(turn.payloads) == 2 and turn.truncated


def test_pack_texts_hard_cuts_a_single_huge_line() -> None:
    """A line over the limit is cut into pieces within the limit without losing characters."""
    text = "字" * 1500
    packed = pack_texts([text], max_bytes=2000)
    assert all(len(p.encode("utf-8")) <= 2000 for p in packed)
    assert "".join(packed) == text


@pytest.mark.parametrize(
    "answer,number",
    [("1", 1), ("１", 1), (" 2 ", 2), ("2。", 2), ("第3个", 3), ("三", 3), ("10", 10), ("第二项", 2)],
)
def test_digit_answers_are_understood(answer: str, number: int) -> None:
    """ASCII, full-width and Chinese numerals with small decorations map to a number."""
    assert parse_choice_number(answer) == number


@pytest.mark.parametrize("answer", ["", "1 2", "123", "我选1", "13800000000", "一二"])
def test_other_texts_are_not_choices(answer: str) -> None:
    """Sentences, long numbers and phone numbers are not choice answers."""
    assert parse_choice_number(answer) is None


def test_resolve_choice_only_within_range() -> None:
    """A digit maps to the matching choice; out of range maps to nothing."""
    choices = [Choice(1, "遗失", "/lost"), Choice(2, "损毁", "/damaged")]
    assert resolve_choice("２", choices) == choices[1]
    assert resolve_choice("3", choices) is None
    assert resolve_choice("1", []) is None


@pytest.mark.parametrize("text", ["转人工", "人工客服", "我要转人工", "转人工！", "请帮我转人工客服"])
def test_handoff_requests(text: str) -> None:
    """Short requests for a human are recognised."""
    assert is_handoff_request(text)


@pytest.mark.parametrize("text", ["", "人工", "你好", "我的证书丢了，之前有人说可以转人工处理但我不确定要不要登报"])
def test_not_handoff_requests(text: str) -> None:
    """Other texts, and long questions merely mentioning it, are not hand-over requests."""
    assert not is_handoff_request(text)
