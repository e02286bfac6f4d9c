"""Records of unanswered questions for staff: only the unanswered ones, masked, bounded."""
from __future__ import annotations

from reissue.answering.unanswered import record_kind, unanswered_records


def test_kinds() -> None:
    assert record_kind("not_in_guide") == "abstain" and record_kind("unclear") == "fallback"
    assert record_kind("out_of_scope:teacher") == "out_of_scope" and record_kind("other_province") == "out_of_scope"
    assert record_kind("fee") == ""


def test_only_unanswered_questions_are_recorded_masked() -> None:
    plan = {"questions": [
        {"label": "fee", "text": "要钱吗"},
        {"label": "not_in_guide", "text": "我手机13800138000，身份证370102199003071234能代办吗",
         "guesses": [{"label": "visits", "confidence": 1.7}, {"label": "", "confidence": 0.1}]},
    ]}
    [record] = unanswered_records(plan, "fax")
    assert record["kind"] == "abstain" and record["channel"] == "rest"
    assert "13800138000" not in record["text"] and "370102199003071234" not in record["text"]
    assert record["guesses"] == [{"label": "visits", "confidence": 1.0}]


def test_nothing_to_record() -> None:
    assert unanswered_records({"questions": [{"label": "not_in_guide", "text": " "}]}, "web") == []
    assert unanswered_records({}, "web") == []
