"""Near-identical unanswered questions in one group: normalised text compared by character bigrams."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, FrozenSet, List, Sequence, Tuple

from reissue.parsing.text import clean

SIMILARITY = 0.6
MAX_SAMPLES = 5
MAX_GUESSES = 3
ORDERS = ("frequent", "recent")
_NOISE = re.compile(r"[\W_*]+", re.UNICODE)


@dataclass(frozen=True)
class Question:
    """One stored unanswered question, as grouping needs it."""

    id: int
    text: str
    kind: str
    channel: str
    guesses: Tuple[Tuple[str, float], ...]
    created_at: datetime


@dataclass
class Group:
    """Near-identical questions: their ids, how many, first and last seen, samples and the top guesses."""

    key: FrozenSet[str]
    questions: List[Question] = field(default_factory=list)

    @property
    def ids(self) -> List[int]:
        """The question ids, oldest first."""
        return [q.id for q in sorted(self.questions, key=lambda q: (q.created_at, q.id))]

    @property
    def count(self) -> int:
        """How many questions the group holds."""
        return len(self.questions)

    @property
    def first_seen(self) -> datetime:
        """When the first of them was asked."""
        return min(q.created_at for q in self.questions)

    @property
    def last_seen(self) -> datetime:
        """When the last of them was asked."""
        return max(q.created_at for q in self.questions)

    @property
    def samples(self) -> List[str]:
        """Up to five distinct texts, newest first."""
        seen: List[str] = []
        for question in sorted(self.questions, key=lambda q: (q.created_at, q.id), reverse=True):
            if question.text not in seen:
                seen.append(question.text)
        return seen[:MAX_SAMPLES]

    @property
    def kinds(self) -> List[str]:
        """The kinds of record in the group (abstain, fallback, out_of_scope), most common first."""
        return _most_common([q.kind for q in self.questions])

    @property
    def channels(self) -> List[str]:
        """The channels the questions came through, most common first."""
        return _most_common([q.channel for q in self.questions])

    @property
    def top_guesses(self) -> List[Tuple[str, float]]:
        """The classifier's labels most often guessed, with their mean confidence, at most three."""
        scores: Dict[str, List[float]] = {}
        for question in self.questions:
            for label, confidence in question.guesses:
                scores.setdefault(label, []).append(confidence)
        ranked = sorted(scores.items(), key=lambda item: (-len(item[1]), -sum(item[1]) / len(item[1]), item[0]))
        return [(label, round(sum(values) / len(values), 3)) for label, values in ranked[:MAX_GUESSES]]


def _most_common(values: List[str]) -> List[str]:
    """Distinct values, most frequent first (ties alphabetical)."""
    counts: Dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts, key=lambda value: (-counts[value], value))


def normalise(text: str) -> str:
    """Cleaned (half-width, Simplified), lower case, without punctuation, spaces or mask stars."""
    return _NOISE.sub("", clean(text).lower())


def bigrams(text: str) -> FrozenSet[str]:
    """The character bigrams of the normalised text (the text itself when shorter than two)."""
    plain = normalise(text)
    if len(plain) < 2:
        return frozenset([plain]) if plain else frozenset()
    return frozenset(plain[i:i + 2] for i in range(len(plain) - 1))


def dice(shared: int, first: int, second: int) -> float:
    """The Dice coefficient of two sets from their sizes and how many members they share (1.0 for two empty ones)."""
    return 2 * shared / (first + second) if first or second else 1.0


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """The Dice coefficient of two bigram sets (1.0 for two empty ones)."""
    return dice(len(a & b), len(a), len(b))


def group_questions(questions: Sequence[Question], order: str = "frequent",
                    threshold: float = SIMILARITY) -> List[Group]:
    """Groups of near-identical questions: each joins the most similar group at or above `threshold` (compared
    with the group's first question; the later group on a tie), else starts one. Ordered most frequent first, then
    newest ("frequent"), or newest first, then most frequent ("recent").

    Only groups sharing a bigram with the question can reach the threshold, so an index from bigram to group
    finds them and counts the shared bigrams (the same result as comparing with every group, in near-linear time).
    """
    groups: List[Group] = []
    postings: Dict[str, List[int]] = {}
    for question in sorted(questions, key=lambda q: (q.created_at, q.id)):
        grams = bigrams(question.text)
        shared = Counter(index for gram in grams for index in postings.get(gram, ()))
        candidates = shared if grams else [index for index, group in enumerate(groups) if not group.key]
        best, best_score = -1, threshold
        for index in sorted(candidates):
            score = dice(shared[index], len(grams), len(groups[index].key))
            if score >= best_score:
                best, best_score = index, score
        if best < 0:
            groups.append(Group(key=grams))
            best = len(groups) - 1
            for gram in grams:
                postings.setdefault(gram, []).append(best)
        groups[best].questions.append(question)
    if order == "recent":
        return sorted(groups, key=lambda g: (g.last_seen, g.count, max(g.ids)), reverse=True)
    return sorted(groups, key=lambda g: (g.count, g.last_seen, max(g.ids)), reverse=True)
