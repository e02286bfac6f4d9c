"""Rasa NLU component: the FAQ response selector, skipped for form answers the intent classifier is sure of.

Rasa's `ResponseSelector` runs its own neural network on every message (~4 ms here), although its answer
is only used when the intent is `faq` — or, as a hint, when the intent is unclear (the fallback's "did you
mean…" buttons, the hotline lookup's ranked answers). Most turns of an application are answers such as
"张三" or "济南" that DIET files under `inform`/`affirm`/`deny` with near certainty, with `faq` not even
among the ranked intents. For those the selector is skipped; every other message gets Rasa's selection.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

SKIP_INTENTS = "skip_for_intents"
SKIP_CONFIDENCE = "skip_above_confidence"


def needs_selection(parse: Dict[Text, Any], retrieval_intent: Text, skip_for: Iterable[Text], confidence: float) -> bool:
    """Whether a message's intents leave any use for the FAQ selection (pure: reads the parse data only).

    Skipped only when the top intent is one of `skip_for` with at least `confidence` and the retrieval
    intent is absent from the ranking; anything unclear or FAQ-like is selected as before.
    """
    top = parse.get(INTENT) or {}
    if top.get(INTENT_NAME_KEY) not in set(skip_for):
        return True
    if float(top.get(PREDICTED_CONFIDENCE_KEY) or 0.0) < confidence:
        return True
    ranked = parse.get(INTENT_RANKING_KEY) or []
    return any(item.get(INTENT_NAME_KEY) == retrieval_intent and item.get(PREDICTED_CONFIDENCE_KEY) for item in ranked)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    """Rasa's ResponseSelector (same training, same output), not run for sure-footed form answers."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Rasa's defaults plus the skip rule: inform/affirm/deny at ≥ 0.9 with `faq` unranked."""
        return {**ResponseSelector.get_default_config(), SKIP_INTENTS: ["inform", "affirm", "deny"], SKIP_CONFIDENCE: 0.9}

    def process(self, messages: List[Message]) -> List[Message]:
        """Select responses for the messages that may need one; leave the others untouched."""
        retrieval_intent = self.retrieval_intent or ""
        selected = [
            message for message in messages
            if needs_selection(message.data, retrieval_intent, self.component_config[SKIP_INTENTS],
                               self.component_config[SKIP_CONFIDENCE])
        ]
        if selected:
            super().process(selected)
        return messages
