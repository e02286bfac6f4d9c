"""The hotline lookup gives an FAQ answer in its live text."""
from __future__ import annotations

from datetime import datetime

import lookup
from reissue import knowledge

PARSE = {"answer_plan": {"questions": [{"label": "fee", "text": "要钱吗", "confidence": 0.9, "guesses": []}]}}


def test_the_lookup_says_the_live_text_and_the_default_without_one():
    now = datetime(2026, 12, 2, 10, 0)
    edited = lookup.lookup("要钱吗", parse=lambda text: PARSE, now=now, live={"fee": "新的说法"})
    default = lookup.lookup("要钱吗", parse=lambda text: PARSE, now=now, live={})
    assert edited[0].answer_text == "新的说法" and default[0].answer_text == knowledge.answer("fee")
    assert edited[0].sources == default[0].sources
