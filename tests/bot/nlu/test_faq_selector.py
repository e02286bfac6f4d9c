"""The FAQ selector's skip rule: only sure-footed form answers with `faq` unranked skip the selection."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from bot.nlu.faq_selector import FaqResponseSelector, needs_selection

SKIP_FOR = ["inform", "affirm", "deny"]
MODEL = Path(__file__).resolve().parents[3] / "models" / "reissue.tar.gz"


def parse(top: str, confidence: float, ranked: List[Tuple[str, float]]) -> Dict[str, Any]:
    """Parse data with a top intent and an intent ranking."""
    return {"intent": {"name": top, "confidence": confidence},
            "intent_ranking": [{"name": name, "confidence": value} for name, value in ranked]}


@pytest.mark.parametrize(
    "data, needed",
    [
        (parse("inform", 0.99, [("inform", 0.99), ("affirm", 0.01)]), False),
        (parse("affirm", 0.95, [("affirm", 0.95)]), False),
        (parse("inform", 0.99, [("inform", 0.99), ("faq", 0.004)]), True),  # FAQ still ranked: a hint to keep
        (parse("inform", 0.89, [("inform", 0.89)]), True),  # not sure enough
        (parse("faq", 0.99, [("faq", 0.99)]), True),
        (parse("start_reissue", 0.99, [("start_reissue", 0.99)]), True),  # hotline questions keep their hints
        (parse("nlu_fallback", 0.45, [("inform", 0.3)]), True),
        ({}, True),
        (parse("inform", None, [("faq", None)]), True),  # type: ignore[arg-type]
    ],
)
def test_only_sure_form_answers_without_a_faq_hint_skip(data: Dict[str, Any], needed: bool) -> None:
    """The rule reads the parse data only."""
    assert needs_selection(data, "faq", SKIP_FOR, 0.9) is needed


def test_defaults_are_rasas_plus_the_skip_rule() -> None:
    """Rasa's ResponseSelector defaults are kept; the skip rule is configurable."""
    config = FaqResponseSelector.get_default_config()
    assert config["skip_for_intents"] == SKIP_FOR and config["skip_above_confidence"] == 0.9
    assert config["epochs"] == 300 and "retrieval_intent" in config


@pytest.mark.model
def test_trained_model_selects_for_questions_and_skips_form_answers() -> None:
    """With the trained model: FAQ questions get their answer, sure form answers carry no selection."""
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    question = asyncio.run(agent.parse_message("补办要登报吗"))
    assert question["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/newspaper"
    answers = [asyncio.run(agent.parse_message(text)) for text in ["张三", "济南", "领过", "确认提交"]]
    assert all(a["intent"]["name"] in SKIP_FOR for a in answers)
    assert all("faq" not in (a.get("response_selector") or {}) for a in answers)
    unclear = asyncio.run(agent.parse_message("今天好累啊"))
    assert unclear["response_selector"]["faq"]["ranking"]
