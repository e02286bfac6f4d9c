"""The questions of a plan that got no answer of their own, as records for staff (masked)."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

from reissue.answering.plan import NOT_IN_GUIDE, OTHER_PROVINCE, OUT_OF_SCOPE, UNCLEAR
from reissue.application import channel_or_default
from reissue.masking import scrub

MAX_TEXT = 1000
MAX_GUESSES = 5


def record_kind(label: str) -> str:
    """How a label counts for staff: abstain, fallback, out_of_scope — or "" when it was answered."""
    if label == NOT_IN_GUIDE:
        return "abstain"
    if label == UNCLEAR:
        return "fallback"
    if label in (OTHER_PROVINCE, OUT_OF_SCOPE) or label.startswith(OUT_OF_SCOPE + ":"):
        return "out_of_scope"
    return ""


def unanswered_records(plan: Mapping[str, Any], channel: str) -> List[Dict[str, Any]]:
    """One record per unanswered question: masked text, kind, channel, the classifier's top guesses."""
    records: List[Dict[str, Any]] = []
    for question in plan.get("questions") or []:
        kind = record_kind(str(question.get("label") or ""))
        text = scrub(str(question.get("text") or "")).strip()[:MAX_TEXT]
        if not kind or not text:
            continue
        guesses = [
            {"label": str(g.get("label"))[:64], "confidence": min(1.0, max(0.0, float(g.get("confidence") or 0.0)))}
            for g in (question.get("guesses") or [])[:MAX_GUESSES] if g.get("label")
        ]
        records.append({"text": text, "kind": kind, "channel": channel_or_default(channel),
                        "guesses": guesses})
    return records
