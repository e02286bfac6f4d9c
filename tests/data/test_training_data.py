"""Training data hygiene: no held-out question leaks into training, no example under two intents."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, Set

import yaml

from bot.evaluation import load_examples
from bot.parsing.text import clean

ROOT = Path(__file__).resolve().parents[2]
PUNCTUATION = re.compile(r"[\s,，。.!！?？~～、:：;；\"'“”‘’()（）]+")


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
