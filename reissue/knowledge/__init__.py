"""The knowledge base: every fact of the service guide and every FAQ answer, loaded from YAML once."""
from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent
FactValue = Union[str, int]


@dataclass(frozen=True)
class Fact:
    """One fact of the guide and the part of the guide it comes from."""

    name: str
    value: FactValue
    source: str


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ topic: the retrieval intent key, its button title, answer template and sources."""

    key: str
    title: str
    answer_template: str
    sources: Tuple[str, ...]


def _read_yaml(name: str) -> dict:
    """Read one YAML file of this folder."""
    with open(KNOWLEDGE_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def facts() -> Dict[str, Fact]:
    """All facts by name."""
    raw = _read_yaml("facts.yml")["facts"]
    return {name: Fact(name, item["value"], item["source"]) for name, item in raw.items()}


def fact(name: str) -> FactValue:
    """The value of one fact; a KeyError names an unknown fact."""
    return facts()[name].value


def _tidy(text: str) -> str:
    """Strip each line of a multi-line answer and drop blank lines."""
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


@lru_cache(maxsize=1)
def faq_entries() -> Dict[str, FaqEntry]:
    """All FAQ topics by key, in the file's order."""
    raw = _read_yaml("faq.yml")["faq"]
    return {
        key: FaqEntry(key, item["title"], _tidy(item["answer"]), tuple(item["sources"]))
        for key, item in raw.items()
    }


def template_fields(template: str) -> List[str]:
    """The fact names a template refers to."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def render(template: str) -> str:
    """Fill a template with fact values."""
    return template.format(**{name: item.value for name, item in facts().items()})


def answer(key: str) -> str:
    """The rendered answer of one FAQ topic."""
    return render(faq_entries()[key].answer_template)


@lru_cache(maxsize=1)
def _messages() -> Dict[str, Any]:
    """The action message templates by key."""
    return _read_yaml("messages.yml")["messages"]


def message(key: str, **extra: object) -> str:
    """Render one action message with fact values and the action's own `extra` values."""
    template = _messages()[key]
    values: Dict[str, object] = {name: item.value for name, item in facts().items()}
    values.update(extra)
    return _tidy(str(template)).format(**values)


@lru_cache(maxsize=1)
def _buttons() -> Dict[str, Any]:
    """The quick-reply buttons by key."""
    return _read_yaml("messages.yml")["buttons"]


def button(key: str) -> Dict[str, str]:
    """One quick-reply button by key: the title shown and the text it sends."""
    entry = _buttons()[key]
    return {"title": str(entry["title"]), "payload": str(entry["payload"])}


def hot_topics() -> List[str]:
    """The FAQ keys offered as quick replies on greeting."""
    return [str(key) for key in _messages()["hot_topics"]]
