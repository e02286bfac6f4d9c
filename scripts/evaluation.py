"""Scoring of NLU predictions against a labelled set (the held-out test and the report share it)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Tuple

import yaml

from reissue.answering import plan
from reissue.knowledge import faq_entries

OUT_OF_SCOPE = frozenset({"out_of_scope", "chitchat"})


def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, label) pairs of a Rasa NLU YAML file; labels are full retrieval intents (faq/fee)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs: List[Tuple[str, str]] = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip()
            if text.startswith("- "):
                pairs.append((text[2:].strip(), block["intent"]))
    return pairs


def full_intent(parse: Dict[str, Any]) -> str:
    """The predicted intent of a /model/parse result: the answer plan's first question as an intent
    (`faq/<key>` for an FAQ answer), else the NLU intent."""
    questions = (parse.get("answer_plan") or {}).get("questions") or []
    if questions:
        label = str(questions[0].get("label") or "")
        if label in faq_entries():
            return f"faq/{label}"
        if label == plan.OTHER_PROVINCE or label.startswith(plan.OUT_OF_SCOPE):
            return "out_of_scope"
        return plan.ACTION_INTENTS.get(label, label)
    return (parse.get("intent") or {}).get("name") or ""


@dataclass
class Score:
    """Accuracy figures of one evaluation run."""

    in_scope_total: int = 0
    in_scope_correct: int = 0
    oos_total: int = 0
    oos_routed: int = 0
    confusions: Counter = field(default_factory=Counter)
    per_label: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def intent_accuracy(self) -> float:
        """Share of in-scope examples whose full intent was predicted exactly."""
        return self.in_scope_correct / self.in_scope_total if self.in_scope_total else 0.0

    @property
    def oos_routing(self) -> float:
        """Share of out-of-scope examples routed to out_of_scope or chitchat."""
        return self.oos_routed / self.oos_total if self.oos_total else 0.0

    def f1(self, label: str) -> float:
        """F1 of one label."""
        counts = self.per_label[label]
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(examples: Iterable[Tuple[str, str]], predict: Callable[[str], str]) -> Score:
    """Score `predict` on labelled examples (strict: an in-scope miss is any other label)."""
    result = Score()
    for text, label in examples:
        predicted = predict(text)
        if label in OUT_OF_SCOPE:
            result.oos_total += 1
            result.oos_routed += predicted in OUT_OF_SCOPE
        else:
            result.in_scope_total += 1
            result.in_scope_correct += predicted == label
        if predicted == label:
            result.per_label[label]["tp"] += 1
        else:
            result.per_label[label]["fn"] += 1
            result.per_label[predicted]["fp"] += 1
            result.confusions[(label, predicted, text)] += 1
    return result
