"""Helpers for tests that need the documents lexicon with a reviewed look-alikes file of their own."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from reissue.lexicon import documents


def reload_documents() -> None:
    """Forget the loaded look-alikes and the alias table built from them."""
    documents.load_documents.cache_clear()
    documents._alias_table.cache_clear()


@contextmanager
def reviewed_documents_at(path: Path) -> Iterator[Path]:
    """The lexicon reads its reviewed look-alikes from `path` (whether or not it exists yet) inside the block."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "REVIEWED_PATH", path)
        reload_documents()
        try:
            yield path
        finally:
            reload_documents()
    reload_documents()
