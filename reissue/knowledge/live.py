"""Answers that change live: the training-time default of each FAQ answer, and the guide's words an edited answer
must keep (or say in its note that it departs from them)."""
from __future__ import annotations

from typing import List

from reissue import knowledge
from reissue.knowledge import Fact

# A note that admits an edit departs from the guide's words names the guide.
DEPARTURE_WORD = "指南"


def default_text(key: str) -> str:
    """The answer as rendered at training time (data/responses/faq.yml holds the same text)."""
    return knowledge.answer(key)


def default_source(key: str) -> str:
    """The guide parts the answer rests on, joined for display."""
    return "、".join(knowledge.faq_entries()[key].sources)


def quoted_facts(key: str) -> List[Fact]:
    """The facts the answer's template quotes, in order, once each."""
    names = dict.fromkeys(knowledge.template_fields(knowledge.faq_entries()[key].answer_template))
    return [knowledge.facts()[name] for name in names]


def missing_quotes(key: str, text: str) -> List[Fact]:
    """The quoted facts whose value the new text no longer says word for word."""
    return [fact for fact in quoted_facts(key) if str(fact.value) not in text]


def departure_admitted(note: str) -> bool:
    """True when the note says the edit departs from the guide."""
    return DEPARTURE_WORD in note
