"""The live handoff's domain rules: staffed hours, "不用了", the masked summary."""
from __future__ import annotations

from datetime import datetime

import pytest

from reissue import handoff
from reissue.clock import CHINA
from reissue.masking import mask_id, mask_name
from tests.backend.backend_helpers import synthetic_id

ID_NUMBER = synthetic_id("37010219900307123")


def test_staffed_follows_the_hall_unless_always() -> None:
    tuesday_morning = datetime(2026, 12, 1, 9, 0, tzinfo=CHINA)
    sunday = datetime(2026, 12, 6, 9, 0, tzinfo=CHINA)
    evening = datetime(2026, 12, 1, 20, 0, tzinfo=CHINA)
    assert handoff.staffed(tuesday_morning, "hall")
    assert not handoff.staffed(sunday, "hall") and not handoff.staffed(evening, "")
    assert handoff.staffed(sunday, "always") and handoff.staffed(evening, "ALWAYS")


@pytest.mark.parametrize("text", ["不用了", "不用了，谢谢", "算了吧", "不需要了。", "取消"])
def test_no_thanks_ends_it(text: str) -> None:
    assert handoff.is_cancel(text)


@pytest.mark.parametrize("text", ["不用了吗？我还要问", "补办不用登报吗", "我不用纸质证书", ""])
def test_other_messages_do_not(text: str) -> None:
    assert not handoff.is_cancel(text)


def test_summary_masks_personal_fields_and_turns() -> None:
    slots = {"reissue_reason": "lost", "qualification": "一级建造师", "applicant_name": "张三", "id_number": ID_NUMBER,
             "phone": "13912345678", "city": None}
    turns = [("user", f"身份证{ID_NUMBER}"), ("bot", "请问手机号？"), ("action", "x"), ("user", "  ")]
    summary = handoff.summary("补办申请", slots, turns, requested="phone")
    assert summary["asking"] == "手机号" and summary["topic"] == "补办申请"
    values = {f["label"]: f["value"] for f in summary["fields"]}
    assert values == {"补办原因": "遗失", "证书名称": "一级建造师", "姓名": mask_name("张三"), "身份证号": mask_id(ID_NUMBER),
                      "手机号": "139****5678"}
    assert values["身份证号"].startswith("370102") and "*" in values["身份证号"] and ID_NUMBER not in str(summary)
    assert [t["who"] for t in summary["turns"]] == ["user", "bot"] and ID_NUMBER not in summary["turns"][0]["text"]


def test_only_the_last_turns_are_kept() -> None:
    turns = [("user", f"第{i}句") for i in range(20)]
    kept = handoff.masked_turns(turns)
    assert len(kept) == handoff.MAX_TURNS and kept[-1]["text"] == "第19句"
