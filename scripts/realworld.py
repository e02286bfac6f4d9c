"""Scoring of the assistant on the real-world evaluation set (`tests/nlu/realworld/`).

Each item of the set lists what a fully right reply answers (FAQ keys, action keys, `not_in_guide`,
`unclear`, `out_of_scope:<document>`, `other_province`). A prediction is the ordered list of labels the
assistant's answer plan gives for the message. The kinds reported (multi-question, not in the guide,
look-alike documents, long posts, Traditional characters …) are computed from the items themselves.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from reissue.answering.plan import LEANS_ON_UNANSWERED, Thresholds
from reissue.parsing.text import normalise, to_simplified

ROOT = Path(__file__).resolve().parent.parent
REALWORLD_DIR = ROOT / "tests" / "nlu" / "realworld"
PARTS = ("calibration", "test")
ABSTAIN_LABELS = frozenset({"not_in_guide", "unclear"})
# Classifier labels that are no answer: dialogue acts the planner leaves to the dialogue.
NOT_ANSWERS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "cancel", "inform", "correct", "chitchat"})
OUT_OF_SCOPE = "out_of_scope"
OTHER_PROVINCE = "other_province"
LONG_CHARS = 40
# Intents of the plain Rasa pipeline (no answer plan) and the label their reply amounts to.
LEGACY_LABELS = {
    "ask_completion_date": "completion_date",
    "ask_hall_open": "hall_open",
    "start_reissue": "start_reissue",
    "inform": "start_reissue",
    "check_progress": "check_progress",
    "human_handoff": "handoff",
    "out_of_scope": OUT_OF_SCOPE,
    "chitchat": OUT_OF_SCOPE,
}
KINDS = (
    "all", "single", "multi", "not_in_guide", "unclear", "lookalike", "other_province", "in_scope_document",
    "long", "traditional", "from_page", "page_paraphrase", "paraphrase",
)
DocumentResolver = Callable[[str], Optional[str]]


@dataclass(frozen=True)
class Item:
    """One message of the set with what a fully right reply answers."""

    id: str
    text: str
    answers: Tuple[str, ...]
    also: Tuple[str, ...] = ()
    document: Optional[str] = None
    source: str = ""

    @property
    def traditional(self) -> bool:
        """Written in Traditional characters (OpenCC changes at least two of them)."""
        simplified = to_simplified(self.text)
        return sum(a != b for a, b in zip(self.text, simplified)) >= 2

    def kinds(self) -> List[str]:
        """The kinds this item counts under."""
        labels = set(self.answers)
        kinds = ["all"]
        if len(self.answers) >= 2:
            kinds.append("multi")
        elif not labels & ABSTAIN_LABELS and not any(is_out_of_scope(a) or a == OTHER_PROVINCE for a in labels):
            kinds.append("single")
        if labels == {"not_in_guide"}:
            kinds.append("not_in_guide")
        if labels == {"unclear"}:
            kinds.append("unclear")
        if any(is_out_of_scope(a) and a != OUT_OF_SCOPE for a in labels):
            kinds.append("lookalike")
        if OTHER_PROVINCE in labels:
            kinds.append("other_province")
        if self.document and not any(is_out_of_scope(a) or a == OTHER_PROVINCE for a in labels):
            kinds.append("in_scope_document")
        if len(normalise(self.text)) > LONG_CHARS:
            kinds.append("long")
        if self.traditional:
            kinds.append("traditional")
        kinds.append(self.provenance)
        return kinds

    @property
    def provenance(self) -> str:
        """from_page (a public page's own words), page_paraphrase (a page's question reworded), paraphrase."""
        if self.source.startswith("http"):
            return "from_page"
        return "page_paraphrase" if self.source.startswith("paraphrase (from") else "paraphrase"


def is_out_of_scope(label: str) -> bool:
    """`out_of_scope` or `out_of_scope:<document>`."""
    return label == OUT_OF_SCOPE or label.startswith(OUT_OF_SCOPE + ":")


def load_items(part: str, folder: Path = REALWORLD_DIR) -> List[Item]:
    """The items of one part (`calibration` or `test`) of the set."""
    data = yaml.safe_load((folder / f"{part}.yml").read_text(encoding="utf-8"))
    return [
        Item(
            id=str(raw["id"]),
            text=str(raw["text"]),
            answers=tuple(str(a) for a in raw["answers"]),
            also=tuple(str(a) for a in raw.get("also") or ()),
            document=str(raw["document"]) if raw.get("document") else None,
            source=str(raw.get("source") or ""),
        )
        for raw in data["items"]
    ]


def legacy_labels(parse: Dict[str, Any]) -> List[str]:
    """What a reply of the plain pipeline (intent + response selector, no answer plan) answers."""
    name = (parse.get("intent") or {}).get("name") or ""
    if name == "faq":
        key = (((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}).get(
            "intent_response_key"
        ) or ""
        return [key.split("/")[-1]] if key else ["unclear"]
    return [LEGACY_LABELS.get(name, "unclear")]


def predicted_labels(parse: Dict[str, Any]) -> List[str]:
    """The labels of a /model/parse result: the answer plan when there is one, else the legacy reading."""
    plan = parse.get("answer_plan")
    if isinstance(plan, dict) and isinstance(plan.get("questions"), list):
        labels = [str(question.get("label")) for question in plan["questions"] if question.get("label")]
        return labels or ["unclear"]
    return legacy_labels(parse)


def rethreshold(plan: Dict[str, Any], thresholds: Thresholds) -> List[str]:
    """The labels an answer plan would have with other answer thresholds (for the risk–coverage curve).

    A question answered without being sure by `thresholds` abstains; one that abstained for low confidence
    is answered with its best guess when that is sure by them. Routing by the lexicon (documents,
    provinces) has confidence 1 and stays.
    """
    labels = []
    for question in plan.get("questions") or []:
        label = str(question.get("label"))
        confidence = float(question.get("confidence") or 0.0)
        guesses = question.get("guesses") or []
        leaning = (question.get("details") or {}).get("abstained") == LEANS_ON_UNANSWERED
        if label in ABSTAIN_LABELS and guesses and not (leaning and not thresholds.sure_after_abstention(confidence)):
            label, confidence = str(guesses[0].get("label")), float(guesses[0].get("confidence") or 0.0)
        runner_up = max((float(g.get("confidence") or 0.0) for g in guesses if str(g.get("label")) != label),
                        default=0.0)
        if label in ABSTAIN_LABELS or label in NOT_ANSWERS:
            labels.append("not_in_guide" if label not in ABSTAIN_LABELS else str(question.get("label")))
        elif not thresholds.sure(confidence, runner_up):
            labels.append("not_in_guide")
        else:
            labels.append(label)
    return list(dict.fromkeys(labels)) or ["unclear"]


@dataclass(frozen=True)
class Verdict:
    """How one prediction fares against one item."""

    fully_right: bool
    answered: bool
    answered_wrong: bool
    abstained: bool
    refused: bool
    missing: Tuple[str, ...]
    wrong: Tuple[str, ...]


def _canonical(label: str, resolve: DocumentResolver) -> str:
    """A gold label in comparable form: a document named by its lexicon key."""
    if label.startswith(OUT_OF_SCOPE + ":"):
        name = label.split(":", 1)[1]
        return f"{OUT_OF_SCOPE}:{resolve(name) or '?' + name}"
    return label


def judge(item: Item, predicted: Sequence[str], resolve: DocumentResolver) -> Verdict:
    """Compare a prediction with an item (see tests/nlu/realworld/README.md for the rules)."""
    gold = [_canonical(label, resolve) for label in item.answers]
    allowed = set(gold) | {_canonical(label, resolve) for label in item.also}
    predicted = list(dict.fromkeys(predicted))  # predictions name documents by their lexicon key already
    answers = [label for label in predicted if label not in ABSTAIN_LABELS]
    abstentions = [label for label in predicted if label in ABSTAIN_LABELS]

    def satisfied(label: str) -> bool:
        """Whether the prediction covers one gold label."""
        if label in ABSTAIN_LABELS:
            return bool(abstentions)
        if label == OUT_OF_SCOPE:
            return any(is_out_of_scope(p) for p in answers)
        return label in answers

    def acceptable(label: str) -> bool:
        """Whether one predicted answer is right (or, for a bare scope message, at least not wrong) here."""
        if label in allowed or (is_out_of_scope(label) and OUT_OF_SCOPE in allowed):
            return True
        # "Not this service, ask the department in charge" is vague, not wrong, for another document.
        return label == OUT_OF_SCOPE and any(is_out_of_scope(g) or g == OTHER_PROVINCE for g in allowed)

    missing = tuple(label for label in gold if not satisfied(label))
    wrong = tuple(label for label in answers if not acceptable(label))
    extra_abstain = bool(abstentions) and not set(gold) & ABSTAIN_LABELS
    gold_in_scope = not any(is_out_of_scope(label) or label == OTHER_PROVINCE for label in gold)
    return Verdict(
        fully_right=not missing and not wrong and not extra_abstain,
        answered=bool(answers),
        answered_wrong=bool(wrong),
        abstained=not answers,
        refused=gold_in_scope and any(is_out_of_scope(label) or label == OTHER_PROVINCE for label in answers),
        missing=missing,
        wrong=wrong,
    )


@dataclass
class KindScore:
    """Counts of one kind of item."""

    total: int = 0
    fully_right: int = 0
    answered: int = 0
    answered_wrong: int = 0
    abstained: int = 0
    refused: int = 0

    def add(self, verdict: Verdict) -> None:
        """Count one verdict."""
        self.total += 1
        self.fully_right += verdict.fully_right
        self.answered += verdict.answered
        self.answered_wrong += verdict.answered_wrong
        self.abstained += verdict.abstained
        self.refused += verdict.refused

    def rate(self, name: str) -> float:
        """One count as a share of the total (0 for an empty kind)."""
        return getattr(self, name) / self.total if self.total else 0.0


@dataclass
class Report:
    """The scores of one run over a list of items."""

    kinds: Dict[str, KindScore] = field(default_factory=dict)
    misses: List[Tuple[Item, Tuple[str, ...], Verdict]] = field(default_factory=list)
    labels: Counter = field(default_factory=Counter)

    def kind(self, name: str) -> KindScore:
        """The score of one kind (empty when no item has it)."""
        return self.kinds.get(name, KindScore())

    def targets(self) -> Dict[str, float]:
        """The figures the issue sets targets on."""
        return {
            "fully_right": self.kind("all").rate("fully_right"),
            "answered_wrong": self.kind("all").rate("answered_wrong"),
            "multi_fully_right": self.kind("multi").rate("fully_right"),
            "not_in_guide_abstained": self.kind("not_in_guide").rate("abstained"),
            "lookalike_routed": self.kind("lookalike").rate("fully_right"),
            "in_scope_not_refused": 1.0 - self.kind("in_scope_document").rate("refused"),
        }


def score(items: Iterable[Item], predict: Callable[[str], Sequence[str]], resolve: DocumentResolver) -> Report:
    """Run `predict` over the items and count the verdicts per kind."""
    report = Report()
    for item in items:
        predicted = tuple(predict(item.text))
        verdict = judge(item, predicted, resolve)
        for kind in item.kinds():
            report.kinds.setdefault(kind, KindScore()).add(verdict)
        report.labels.update(item.answers)
        if not verdict.fully_right:
            report.misses.append((item, predicted, verdict))
    return report


def markdown_table(reports: Dict[str, Report]) -> str:
    """One table: a row per kind, a column group per report (e.g. before / after)."""
    names = list(reports)
    head = "| kind | n | " + " | ".join(f"{name}: fully right | {name}: answered wrong | {name}: abstained"
                                         for name in names) + " |"
    rule = "|---|---|" + "---|---|---|" * len(names)
    rows = [head, rule]
    for kind in KINDS:
        first = reports[names[0]].kind(kind)
        if not first.total:
            continue
        cells = []
        for name in names:
            score_ = reports[name].kind(kind)
            cells.append(f"{score_.rate('fully_right'):.1%} | {score_.rate('answered_wrong'):.1%} | "
                         f"{score_.rate('abstained'):.1%}")
        rows.append(f"| {kind} | {first.total} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
