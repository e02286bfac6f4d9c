"""Training data hygiene: no evaluation question (held-out or real-world, near-duplicates included) leaks into
training, no example under two intents."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set

import yaml

from reissue.parsing.text import clean
from scripts.evaluation import load_examples
from scripts.realworld import PARTS, load_items

ROOT = Path(__file__).resolve().parents[2]
PUNCTUATION = re.compile(r"[\s,，。.!！?？~～、:：;；\"'“”‘’()（）]+")
GRAM = 5
NEAR_DUPLICATE = 0.8


def key(text: str) -> str:
    """Text reduced for comparison: Simplified, no punctuation or spaces, lower case."""
    return PUNCTUATION.sub("", clean(text)).lower()


def training_examples() -> Dict[str, Set[str]]:
    """Reduced training texts and the intents they appear under."""
    seen: Dict[str, Set[str]] = defaultdict(set)
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for text, label in load_examples(path):
            seen[key(text)].add(label)
    return seen


def test_no_heldout_question_is_in_the_training_data() -> None:
    """The held-out set stays unseen: none of its questions is a training example."""
    trained = training_examples()
    leaked = [text for text, _ in load_examples(ROOT / "tests" / "nlu" / "heldout.yml") if key(text) in trained]
    assert leaked == []


def test_no_example_is_taught_as_two_intents() -> None:
    """An example under two intents would teach the model a contradiction."""
    conflicts = {text: labels for text, labels in training_examples().items() if len(labels) > 1}
    assert conflicts == {}


def test_every_trained_intent_is_in_the_domain() -> None:
    """Every intent the data teaches is declared in domain.yml."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    labels = {label.split("/")[0] for labels in training_examples().values() for label in labels}
    assert labels <= set(domain["intents"])


def grams(text: str) -> Set[str]:
    """Character 5-grams of the reduced text (the whole text when it is shorter)."""
    reduced = key(text)
    return {reduced[i:i + GRAM] for i in range(max(1, len(reduced) - GRAM + 1))}


def jaccard(first: Set[str], second: Set[str]) -> float:
    """|A ∩ B| / |A ∪ B|."""
    return len(first & second) / len(first | second) if first or second else 1.0


def near_duplicates(texts: List[str], trained: List[str], threshold: float = NEAR_DUPLICATE) -> List[str]:
    """Each text with a training example whose 5-gram Jaccard similarity reaches `threshold`."""
    index: Dict[str, Set[int]] = defaultdict(set)
    trained_grams = [grams(text) for text in trained]
    for number, text_grams in enumerate(trained_grams):
        for gram in text_grams:
            index[gram].add(number)
    found = []
    for text in texts:
        text_grams = grams(text)
        candidates = set().union(*(index.get(gram, set()) for gram in text_grams))
        for number in candidates:
            if jaccard(text_grams, trained_grams[number]) >= threshold:
                found.append(f"{text} ≈ {trained[number]}")
                break
    return found


def all_training_texts() -> List[str]:
    """Every training example's text."""
    return [text for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) for text, _ in load_examples(path)]


def test_near_duplicate_measure() -> None:
    """The measure itself: a copy with one character changed is a near-duplicate, another question is not."""
    trained = ["我的一级建造师证书去年搬家的时候弄丢了，现在补办还需要登报挂失吗"]
    assert near_duplicates(["我的一级建造师证书去年搬家的时候弄丢了，现在补办还需要登报挂失吗？"], trained) != []
    assert near_duplicates(["我的一级建造师证书去年搬家的时候弄丢了，现在补办还需要登报挂失么"], trained) != []
    assert near_duplicates(["我的一级建造师证书去年搬家的时候弄丢了，补办要多长时间"], trained) == []
    assert near_duplicates(["补办要多长时间"], trained) == []


def test_no_realworld_item_or_near_duplicate_is_trained_on() -> None:
    """Neither part of the real-world set, nor anything within 5-gram Jaccard 0.8 of it, is a training example."""
    items = [item.text for part in PARTS for item in load_items(part)]
    assert len(items) >= 600
    assert near_duplicates(items, all_training_texts()) == []

