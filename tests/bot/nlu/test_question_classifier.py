"""The two-stage question classifier: same probabilities as scikit-learn's, e5 only where unsure."""
from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.question_classifier import SOLVER, QuestionClassifier
from bot.nlu.sentence_embedding import DIMENSIONS, embed

TEXTS = ["补办要交钱吗", "补证收费吗", "要多少钱", "补办要多久", "多长时间能拿到", "几个月能办好",
         "要登报吗", "需要登报挂失吗", "要在报纸上声明吗"]
LABELS = ["fee"] * 3 + ["duration"] * 3 + ["newspaper"] * 3


def counting(calls: list):
    """A fake embedding that records what it is asked."""
    def fake(texts):
        calls.append(list(texts))
        return np.ones((len(texts), DIMENSIONS), dtype=np.float32) / np.sqrt(DIMENSIONS)
    return fake


def test_real_embeddings_are_normalised_and_closer_for_the_same_question() -> None:
    vectors = embed(["补办证书要交钱吗", "补证需要缴费吗", "今天天气怎么样"])
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embed([]).shape == (0, DIMENSIONS)


def test_the_fast_stage_matches_scikit_learn_and_skips_the_embedding() -> None:
    from sklearn.linear_model import LogisticRegression

    classifier = QuestionClassifier.fit(TEXTS, LABELS, counting([]), 10.0, 1.0, cascade=0.0)
    calls: list = []
    scores = classifier.scores(["补证要钱吗", "要等几个月"], counting(calls))
    reference = LogisticRegression(C=10.0, max_iter=5000, random_state=20261201, **SOLVER).fit(
        classifier.vectorizer.transform(TEXTS), LABELS)
    expected = reference.predict_proba(classifier.vectorizer.transform(["补证要钱吗", "要等几个月"]))
    for row, probabilities in zip(scores, expected):
        assert [row[label] for label in reference.classes_] == pytest.approx(list(probabilities), abs=1e-9)
    assert calls == [] and max(scores[0], key=scores[0].get) == "fee"


def test_unsure_texts_and_only_those_get_the_embedding() -> None:
    classifier = QuestionClassifier.fit(TEXTS, LABELS, counting([]), 10.0, 1.0, cascade=0.99)
    calls: list = []
    scores = classifier.scores(["补证要钱吗", "嗯"], counting(calls))
    assert calls and all(text in ["补证要钱吗", "嗯"] for batch in calls for text in batch)
    assert all(abs(sum(row.values()) - 1.0) < 1e-9 for row in scores)
    assert classifier.scores([], counting(calls)) == []
