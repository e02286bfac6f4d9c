"""The callback dialogue: consent first, then a checked mobile number confirmed back masked; "不用了" at any step."""
from __future__ import annotations

import pytest

from reissue import callback
from reissue.knowledge import message

PHONE = "13912345678"


def test_the_offer_says_what_the_number_is_for_when_staff_call_and_when_it_is_deleted():
    text = callback.offer_text(7)
    assert "回电" in text and "工作日" in text and "7天" in text and "删除" in text and "不用了" in text
    assert "5天" in callback.offer_text(5) and "7天" in callback.offer_text(0)


@pytest.mark.parametrize("said", ["好的", "可以", "嗯", "好，麻烦了", "需要", "OK"])
def test_a_yes_asks_for_the_number(said):
    done = callback.step(callback.OFFERED, said, 0, 7)
    assert done == callback.Step(callback.ASKING, message("callback_ask_number"))


@pytest.mark.parametrize("said", ["不用了", "不需要", "算了吧"])
def test_no_thanks_ends_it_and_the_form_goes_on(said):
    for status in (callback.OFFERED, callback.ASKING):
        done = callback.step(status, said, 0, 7, asking="证书管理号")
        assert done.status == callback.DECLINED and not done.passthrough and done.phone is None
        assert done.reply == message("callback_declined") + "\n" + message("handoff_resume", field="证书管理号")


def test_anything_else_after_the_offer_goes_to_the_assistant():
    done = callback.step(callback.OFFERED, "补办要交钱吗", 0, 7)
    assert done == callback.Step(callback.DECLINED, passthrough=True)


@pytest.mark.parametrize("said", [PHONE, "139 1234 5678", "+86 139-1234-5678", "我的手机是13912345678"])
def test_a_valid_number_is_kept_and_confirmed_masked(said):
    done = callback.step(callback.ASKING, said, 0, 7)
    assert done.status == callback.OPEN and done.phone == PHONE
    assert "139****5678" in done.reply and PHONE not in done.reply and "7天" in done.reply
    assert done.reply.endswith(message("handoff_resume_free"))


def test_a_number_right_after_the_offer_is_a_yes():
    done = callback.step(callback.OFFERED, f"好的，{PHONE}", 0, 7, asking="手机号")
    assert done.status == callback.OPEN and done.phone == PHONE
    assert done.reply.endswith(message("handoff_resume", field="手机号"))


def test_a_wrong_number_is_asked_again_with_the_reason_then_the_offer_is_dropped():
    first = callback.step(callback.ASKING, "1391234567", 0, 7)
    assert first.status == callback.ASKING and first.miss and first.phone is None
    assert first.reply == message("parse_phone_length", length=10) + message("callback_ask_again")
    second = callback.step(callback.ASKING, "0531-8888", 1, 7)
    assert second.status == callback.DECLINED and second.miss and not second.passthrough
    assert message("callback_gave_up") in second.reply and "12333" in second.reply
