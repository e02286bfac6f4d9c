"""Reviewed training examples: the questions staff mapped to an FAQ, as a Rasa NLU file, minus anything close to
an evaluation question or already taught."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Sequence, Set, Tuple

from reissue.parsing.text import clean

FAQ_PREFIX = "faq/"
GRAM = 5
# Evaluation questions this close (5-gram Jaccard) to an example are leaks (the training data's own rule).
NEAR_DUPLICATE = 0.8
_PUNCTUATION = re.compile(r"[\s,，。.!！?？~～、:：;；\"'“”‘’()（）]+")
_ANNOTATION = str.maketrans({"[": "【", "]": "】", "{": "（", "}": "）"})
HEADER = (
    "# WRITTEN by `python -m backend.reviewed_export` from the questions staff mapped to an FAQ in the workspace;\n"
    "# re-run it before training instead of editing. Evaluation questions (tests/nlu) are never exported.\n"
)


@dataclass(frozen=True)
class Export:
    """What an export keeps (texts by FAQ key) and how many it left out and why."""

    examples: Dict[str, List[str]]
    near_evaluation: int
    already_taught: int


def reduced(text: str) -> str:
    """Text reduced for comparison: cleaned, Simplified, no punctuation or spaces, lower case."""
    return _PUNCTUATION.sub("", clean(text)).lower()


def grams(text: str) -> Set[str]:
    """Character 5-grams of the reduced text (the whole text when it is shorter)."""
    plain = reduced(text)
    return {plain[i:i + GRAM] for i in range(max(1, len(plain) - GRAM + 1))}


class NearIndex:
    """The 5-gram sets of a list of texts, indexed for 'is any of them close to this one'."""

    def __init__(self, texts: Iterable[str]) -> None:
        """Index every text."""
        self.sets: List[Set[str]] = [grams(text) for text in texts]
        self.index: Dict[str, Set[int]] = defaultdict(set)
        for number, text_grams in enumerate(self.sets):
            for gram in text_grams:
                self.index[gram].add(number)

    def close(self, text: str, threshold: float = NEAR_DUPLICATE) -> bool:
        """True when an indexed text reaches `threshold` Jaccard similarity with `text`."""
        text_grams = grams(text)
        candidates = set().union(*(self.index.get(gram, set()) for gram in text_grams))
        return any(len(text_grams & self.sets[n]) / len(text_grams | self.sets[n]) >= threshold for n in candidates)


def one_line(text: str) -> str:
    """The text on one line, without the characters Rasa reads as entity annotations."""
    return " ".join(text.split()).translate(_ANNOTATION)


def select_examples(candidates: Sequence[Tuple[str, str]], evaluation: Sequence[str],
                    trained: Mapping[str, str]) -> Export:
    """The (FAQ key, text) candidates worth exporting: once each (the first key wins), none close to an
    evaluation question, none already taught (`trained`: reduced text → intent) under any intent."""
    near = NearIndex(evaluation)
    kept: Dict[str, List[str]] = {}
    seen: Set[str] = set()
    near_count = taught = 0
    for faq_key, raw in candidates:
        text = one_line(raw)
        plain = reduced(text)
        if not plain or plain in seen:
            continue
        seen.add(plain)
        if plain in trained:
            taught += 1
        elif near.close(text):
            near_count += 1
        else:
            kept.setdefault(faq_key, []).append(text)
    return Export(examples=dict(sorted(kept.items())), near_evaluation=near_count, already_taught=taught)


def nlu_yaml(examples: Mapping[str, Sequence[str]]) -> str:
    """A Rasa NLU 3.1 file teaching each text under the retrieval intent faq/<key>."""
    lines = [HEADER + 'version: "3.1"', "nlu:" if examples else "nlu: []"]
    for faq_key, texts in examples.items():
        lines.append(f"- intent: {FAQ_PREFIX}{faq_key}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in texts)
    return "\n".join(lines) + "\n"
