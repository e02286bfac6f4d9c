"""Rasa NLU component: Traditional → Simplified characters and input normalisation before tokenising."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from reissue.parsing.text import normalise, to_simplified


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TraditionalToSimplified(GraphComponent):
    """Rewrites each message's text to normalised Simplified Chinese (jieba segments it better)."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TraditionalToSimplified":
        """Create the component."""
        return cls()

    @staticmethod
    def convert(text: Optional[Text]) -> Text:
        """The normalised Simplified form of `text` (empty text stays empty)."""
        return to_simplified(normalise(text or ""))

    def _convert_message(self, message: Message) -> None:
        """Rewrite one message's text in place."""
        text = message.get(TEXT)
        if text:
            message.set(TEXT, self.convert(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Convert every training example."""
        for example in training_data.training_examples:
            self._convert_message(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Convert incoming messages."""
        for message in messages:
            self._convert_message(message)
        return messages
