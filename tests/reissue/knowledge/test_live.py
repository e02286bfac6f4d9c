"""Answers that change live: defaults, the guide's words an edit must keep, and replies in the live texts."""
from __future__ import annotations

from datetime import datetime

from reissue import knowledge
from reissue.answering.render import render_plan
from reissue.knowledge.live import default_text, departure_admitted, missing_quotes, quoted_facts

NOW = datetime(2026, 12, 2, 10, 0)


def test_the_default_is_the_rendered_answer_and_keeps_every_quote():
    assert default_text("fee") == knowledge.answer("fee")
    assert [fact.name for fact in quoted_facts("duration")][:3] == ["practical_time", "promised_days", "legal_limit"]
    assert all(missing_quotes(key, default_text(key)) == [] for key in knowledge.faq_entries())


def test_an_edit_that_drops_a_quoted_fact_is_found():
    text = default_text("duration").replace("65", "六十五")
    assert [fact.name for fact in missing_quotes("duration", text)] == ["promised_days"]
    assert departure_admitted("与指南说法不同：口语化") and not departure_admitted("改得口语一点")


def test_the_reply_says_the_live_text_and_keeps_the_personal_part():
    plan = {"questions": [{"label": "where_to_apply", "text": "在哪办", "details": {"city": "青岛市"}}]}
    default = render_plan(plan, NOW).text
    live = render_plan(plan, NOW, {"where_to_apply": "新的说法。"}).text
    assert default.startswith(knowledge.answer("where_to_apply"))
    assert live.startswith("新的说法。\n") and live.splitlines()[-1] == default.splitlines()[-1]
    assert "青岛市" in live.splitlines()[-1]
    assert render_plan(plan, NOW, {"fee": "别的"}).text == default
