"""What to answer: every question of a message, the right document, or "the guide doesn't say".

Pure decision logic over a classifier's scores and the lexicon (no Rasa): `Planner.plan(text)` splits the
message into its questions (reissue.parsing.questions), decides a label for each and returns a `Plan`:
  - an FAQ key or an action key (completion_date, hall_open, start_reissue, check_progress, handoff)
    when the classifier is sure enough and the question is about this service;
  - `out_of_scope:<document>` when the question is about a look-alike certificate (reissue.lexicon.documents),
    `other_province` when the certificate comes from another province's exam, `out_of_scope` for anything
    else outside the service;
  - `not_in_guide` (abstain) when the question is about the service but no answer is sure enough,
    `unclear` when there is no question to answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from reissue.lexicon import find_city
from reissue.lexicon.documents import named_qualification, other_province, subject_documents
from reissue.parsing.dates import certificate_year
from reissue.parsing.questions import Question, is_question, split_questions

Scores = Dict[str, float]
Classifier = Callable[[Sequence[str]], List[Scores]]

NOT_IN_GUIDE = "not_in_guide"
UNCLEAR = "unclear"
OUT_OF_SCOPE = "out_of_scope"
OTHER_PROVINCE = "other_province"
ABSTAIN = frozenset({NOT_IN_GUIDE, UNCLEAR})
# The detail of a question that abstained because it leans on an unanswered one (not for lack of confidence).
LEANS_ON_UNANSWERED = "leans_on_unanswered"
# Labels the dialogue handles itself (a greeting, a form answer): they are not questions to answer.
DIALOGUE_LABELS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "cancel", "inform", "correct", "chitchat"})
# Classifier labels of the actions, by the intent the dialogue rules know them as.
ACTION_INTENTS = {
    "completion_date": "ask_completion_date",
    "hall_open": "ask_hall_open",
    "start_reissue": "start_reissue",
    "check_progress": "check_progress",
    "handoff": "human_handoff",
}
MAX_ANSWERED = 3
# "证书丢了咋补？" asks how reissue works (process); "帮我补办" asks to start the application.
_HOW = re.compile(r"怎么|咋|如何|怎样|流程|步骤|程序|手续")
_REQUEST = re.compile(r"我要|我想|帮我|给我|申请一下|现在就|马上|立即|替我")
# A question that leans on the one before it ("那要交钱吗", "这样要带什么"): when that one had no
# answer in the guide, this one is about the same unanswered matter.
_LEANS_ON_PREVIOUS = re.compile(r"^(?:那|这种|这样|这个|这回|那样|那这|要是这样|如果这样|如果是这样)")


@dataclass(frozen=True)
class Thresholds:
    """How sure the classifier must be; calibrated on the real-world calibration set (docs/nlu/)."""

    answer: float = 0.45
    refuse_named_qualification: float = 0.8
    # Below `answer`, a best guess still answers when it is at least `lead_floor` and `lead_ratio` times the
    # runner-up: with some fifty labels the probability of a clear winner is often spread thin.
    lead_floor: float = 0.35
    lead_ratio: float = 3.0
    # How sure an answer to a question leaning on an unanswered one must be.
    after_abstention: float = 0.9

    def sure(self, confidence: float, runner_up: float) -> bool:
        """Whether a best guess of `confidence`, ahead of the next label's `runner_up`, is answered."""
        return confidence >= self.answer or (confidence >= self.lead_floor and confidence >= self.lead_ratio * runner_up)

    def sure_after_abstention(self, confidence: float) -> bool:
        """Whether a question leaning on an unanswered one is answered with a guess of `confidence`."""
        return confidence >= self.after_abstention


@dataclass(frozen=True)
class PlannedQuestion:
    """One question of a message and what to do with it."""

    label: str
    text: str
    confidence: float
    guesses: Tuple[Tuple[str, float], ...] = ()
    details: Dict[str, str] = field(default_factory=dict)

    @property
    def abstains(self) -> bool:
        """Whether this question gets no answer of its own."""
        return self.label in ABSTAIN

    def to_dict(self) -> Dict[str, object]:
        """A JSON-ready form (stored with the message's parse data)."""
        return {
            "label": self.label,
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "guesses": [{"label": label, "confidence": round(score, 4)} for label, score in self.guesses],
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Plan:
    """The questions of one message with their labels, and the intent the dialogue should act on."""

    questions: Tuple[PlannedQuestion, ...]

    @property
    def labels(self) -> List[str]:
        """The label of each question, in order."""
        return [question.label for question in self.questions]

    @property
    def intent(self) -> str:
        """The intent whose rule carries the plan out."""
        labels = set(self.labels)
        if "start_reissue" in labels:
            return "start_reissue"
        if "check_progress" in labels:
            return "check_progress"
        if len(self.questions) == 1 and self.questions[0].label in ACTION_INTENTS:
            return ACTION_INTENTS[self.questions[0].label]
        if labels == {UNCLEAR}:
            return "nlu_fallback"
        if labels <= ABSTAIN:
            return NOT_IN_GUIDE
        if all(label == OTHER_PROVINCE or label.startswith(OUT_OF_SCOPE) for label in labels):
            return OUT_OF_SCOPE
        return "faq"

    @property
    def confidence(self) -> float:
        """The least sure of the answered questions (1.0 when none is answered)."""
        answered = [q.confidence for q in self.questions if not q.abstains]
        return min(answered) if answered else 1.0

    def to_dict(self) -> Dict[str, object]:
        """A JSON-ready form."""
        return {"questions": [question.to_dict() for question in self.questions], "intent": self.intent}


def _top(scores: Scores, count: int = 3) -> Tuple[Tuple[str, float], ...]:
    """The `count` best labels of a score table."""
    return tuple(sorted(scores.items(), key=lambda item: -item[1])[:count])


def _without_context(planned: List[PlannedQuestion]) -> List[PlannedQuestion]:
    """The questions of a partly answered message that need an answer of their own.

    A statement the classifier could not place ("我的证书丢了") is context, not a question; an unsure piece whose
    best guess is a topic answered in the same reply ("要先登报吗？等一个月以后才能办？") is a follow-up that
    answer covers.
    """
    answered = {p.label for p in planned if not p.abstains}
    return [p for p in planned if p.label != UNCLEAR
            and not (p.label == NOT_IN_GUIDE and p.guesses and p.guesses[0][0] in answered)]


@dataclass
class Planner:
    """Decides the labels of a message's questions from a classifier and the lexicon."""

    classify: Classifier
    thresholds: Thresholds = field(default_factory=Thresholds)
    today: Callable[[], date] = date.today

    def plan(self, text: str) -> Optional[Plan]:
        """The plan of one message, or None when it asks nothing (a greeting, a form answer, a "好的")."""
        questions = split_questions(text)
        if not questions:
            return None
        details = self._details(text)
        province = other_province(text)
        if province:
            return Plan((PlannedQuestion(OTHER_PROVINCE, text, 1.0, (), {**details, "province": province}),))
        scores = self.classify([text]) if len(questions) == 1 else self._question_scores(questions)
        planned: List[PlannedQuestion] = []
        last_documents: List[str] = []
        previous_abstained = False
        for question, question_scores in zip(questions, scores):
            scope_text = text if len(questions) == 1 else question.with_context
            documents = [doc.key for doc in subject_documents(scope_text, follow_up=bool(last_documents))]
            if documents:
                items = [PlannedQuestion(f"{OUT_OF_SCOPE}:{key}", question.text, 1.0, _top(question_scores),
                                         {"document": key}) for key in documents]
                last_documents = documents
            elif last_documents and not question.joined and not named_qualification(scope_text):
                continue  # "教师资格证丢了怎么补？要登报吗" — still the same certificate
            else:
                decided = self._decide(question, question_scores, scope_text)
                if decided and previous_abstained:
                    decided = self._after_abstention(decided)
                items = [decided] if decided else []
            previous_abstained = bool(items) and all(item.abstains for item in items)
            for item in items:
                if item.label not in [p.label for p in planned]:
                    planned.append(item)
        if not planned:
            return None
        if len(planned) > 1 and any(not p.abstains for p in planned):
            planned = _without_context(planned)
        return Plan(tuple(PlannedQuestion(p.label, p.text, p.confidence, p.guesses, {**details, **p.details})
                          for p in planned))

    def _question_scores(self, questions: Sequence[Question]) -> List[Scores]:
        """Each question's scores: of its own words, or with its context when that makes the classifier surer."""
        bare = self.classify([q.text for q in questions])
        with_context = [q for q in questions if q.context]
        if not with_context:
            return bare
        context_scores = iter(self.classify([q.with_context for q in with_context]))
        result = []
        for question, own in zip(questions, bare):
            other = next(context_scores) if question.context else {}
            result.append(other if max(other.values(), default=0) > max(own.values(), default=0) else own)
        return result

    def _decide(self, question: Question, scores: Scores, scope_text: str) -> Optional[PlannedQuestion]:
        """The label of one question that names no other document."""
        guesses = _top(scores)
        label, confidence = guesses[0] if guesses else (UNCLEAR, 0.0)
        if label in DIALOGUE_LABELS:
            return None
        if label == "start_reissue" and _HOW.search(question.text) and not _REQUEST.search(question.with_context):
            label = "process"
        if label == OUT_OF_SCOPE and named_qualification(scope_text) and confidence < self.thresholds.refuse_named_qualification:
            label, confidence = next(((g, c) for g, c in guesses if g != OUT_OF_SCOPE and g not in DIALOGUE_LABELS),
                                     (NOT_IN_GUIDE, 0.0))
        if label == OUT_OF_SCOPE:
            return PlannedQuestion(OUT_OF_SCOPE, question.text, confidence, guesses)
        runner_up = max((score for other, score in guesses if other != label), default=0.0)
        if label == NOT_IN_GUIDE or not self.thresholds.sure(confidence, runner_up):
            abstain = NOT_IN_GUIDE if is_question(question.with_context) or label == NOT_IN_GUIDE else UNCLEAR
            return PlannedQuestion(abstain, question.text, confidence, guesses)
        return PlannedQuestion(label, question.text, confidence, guesses)

    def _after_abstention(self, decided: PlannedQuestion) -> PlannedQuestion:
        """A question after an unanswered one: if it leans on that one, it abstains unless the answer is very sure."""
        if (decided.abstains or not _LEANS_ON_PREVIOUS.match(decided.text)
                or self.thresholds.sure_after_abstention(decided.confidence)):
            return decided
        return PlannedQuestion(NOT_IN_GUIDE, decided.text, decided.confidence, decided.guesses,
                               {"abstained": LEANS_ON_UNANSWERED})

    def _details(self, text: str) -> Dict[str, str]:
        """What the message says that an answer may depend on: certificate year, city, qualification."""
        details: Dict[str, str] = {}
        year = certificate_year(text, self.today())
        if year:
            details["year"] = str(year)
        city = find_city(text)
        if city:
            details["city"] = city
        qualification = named_qualification(text)
        if qualification:
            details["qualification"] = qualification
        return details
