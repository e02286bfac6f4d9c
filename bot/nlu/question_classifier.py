"""The answer planner's question classifier: logistic regression over the planner's labels, in two stages.

The fast stage reads character n-grams (TF-IDF, 1–3) alone. Where it is unsure (top probability below
`cascade`), the full stage adds the question's multilingual-e5-small embedding (bot.nlu.sentence_embedding),
which reads long and unusually worded questions better (docs/nlu/realworld.md: +2 points on the real-world
calibration part) but costs about 9 ms a text — so short, clear questions never pay for it.
"""
from __future__ import annotations

from typing import Callable, List, Sequence, Text

import numpy as np

from reissue.answering.plan import Scores

Embed = Callable[[Sequence[Text]], np.ndarray]
SEED = 20261201
# The SAGA solver with a looser tolerance fits both stages about 7× faster than the default L-BFGS and gives the
# same real-world figures on the calibration part (docs/nlu/realworld.md).
SOLVER = {"solver": "saga", "tol": 1e-3}


def _softmax(decision: np.ndarray) -> np.ndarray:
    """Row-wise softmax (the multinomial model's probabilities from its decision values)."""
    shifted = decision - decision.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class QuestionClassifier:
    """Character n-grams first; the e5 embedding too for the texts that leaves unsure."""

    def __init__(self, vectorizer: object, labels: Sequence[Text], fast: tuple, full: tuple,
                 embedding_weight: float, cascade: float) -> None:
        """Keep the fitted parts: the vectorizer and each stage's (coefficients, intercepts)."""
        self.vectorizer = vectorizer
        self.labels = list(labels)
        self.fast_coef, self.fast_intercept = fast
        self.full_coef, self.full_intercept = full
        self.embedding_weight = embedding_weight
        self.cascade = cascade

    @classmethod
    def fit(cls, texts: Sequence[Text], labels: Sequence[Text], embed: Embed, regularisation: float,
            embedding_weight: float, cascade: float) -> "QuestionClassifier":
        """Fit both stages on training texts (already clean)."""
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        characters = vectorizer.fit_transform(texts)
        fast = LogisticRegression(C=regularisation, max_iter=5000, random_state=SEED, **SOLVER).fit(characters, list(labels))
        both = hstack([characters, csr_matrix(embed(texts) * embedding_weight)]).tocsr()
        full = LogisticRegression(C=regularisation, max_iter=5000, random_state=SEED, **SOLVER).fit(both, list(labels))
        assert list(fast.classes_) == list(full.classes_)
        return cls(vectorizer, fast.classes_, (fast.coef_.T, fast.intercept_), (full.coef_.T, full.intercept_),
                   embedding_weight, cascade)

    def scores(self, texts: Sequence[Text], embed: Embed) -> List[Scores]:
        """Each text's probability per label."""
        if not texts:
            return []
        characters = self.vectorizer.transform(texts)
        probabilities = _softmax(np.asarray(characters @ self.fast_coef) + self.fast_intercept)
        unsure = [row for row, best in enumerate(probabilities.max(axis=1)) if best < self.cascade]
        if unsure:
            width = characters.shape[1]
            decision = np.asarray(characters[unsure] @ self.full_coef[:width]) + self.full_intercept
            decision += (embed([texts[row] for row in unsure]) * self.embedding_weight) @ self.full_coef[width:]
            probabilities[unsure] = _softmax(decision)
        return [dict(zip(self.labels, (float(p) for p in row))) for row in probabilities]
