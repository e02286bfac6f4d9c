"""Rasa NLU component: spaCy (blank zh + jieba + entity ruler) marks qualifications, levels and cities."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.build.spacy_pipeline import LABELS, build_pipeline, load_user_dictionary

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Builds the spaCy pipeline at training time, stores it inside the Rasa model, and extracts with it.

    Because the pipeline travels inside the model, the server finds it from any working directory.
    Entity values are the lexicon's canonical names (e.g. 一建 → 一级建造师).
    """

    def __init__(self, nlp: Any, model_storage: ModelStorage, resource: Resource) -> None:
        """Keep the spaCy pipeline and where to persist it."""
        self._nlp = nlp
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LexiconEntityExtractor":
        """Create an untrained component."""
        return cls(None, model_storage, resource)

    @staticmethod
    def required_packages() -> List[Text]:
        """spaCy and jieba do the work."""
        return ["spacy", "jieba"]

    def train(self, training_data: TrainingData) -> Resource:
        """Build the pipeline from the lexicon and persist it into the model."""
        self._nlp = build_pipeline()
        with self._model_storage.write_to(self._resource) as directory:
            self._nlp.to_disk(directory / "spacy")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LexiconEntityExtractor":
        """Load the pipeline stored in the model."""
        import spacy

        load_user_dictionary()
        with model_storage.read_from(resource) as directory:
            nlp = spacy.load(directory / "spacy")
        return cls(nlp, model_storage, resource)

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the entities the ruler finds to each message."""
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or self._nlp is None:
                continue
            found = self.extract(text)
            if found:
                entities = message.get(ENTITIES, []) + self.add_extractor_name(found)
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        """Entities of one text as Rasa entity dicts."""
        doc = self._nlp(text[:2000])
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: ent.label_,
                ENTITY_ATTRIBUTE_VALUE: ent.ent_id_ or ent.text,
                ENTITY_ATTRIBUTE_START: ent.start_char,
                ENTITY_ATTRIBUTE_END: ent.end_char,
                "text": ent.text,
            }
            for ent in doc.ents
            if ent.label_ in LABELS
        ]
