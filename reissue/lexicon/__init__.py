"""The domain lexicon: the qualifications of this service (qualifications.py) and the look-alike documents
that are not (documents.py), with the matchers and the dictionary entries built from both."""
from __future__ import annotations

from typing import Dict, List, Optional

from reissue.lexicon.documents import load_documents, named_qualification
from reissue.lexicon.qualifications import (
    LEXICON_DIR,
    Lexicon,
    Qualification,
    exact_city,
    find_city,
    find_level,
    find_specialty,
    get_qualification,
    load_lexicon,
    qualification_aliases,
    ruler_patterns,
)
from reissue.parsing.text import clean

__all__ = ["LEXICON_DIR", "Lexicon", "Qualification", "exact_city", "find_city", "find_level", "find_qualification",
           "find_specialty", "get_qualification", "jieba_entries", "load_lexicon", "qualification_aliases",
           "ruler_patterns"]

JIEBA_FREQ = 20000
# jieba's default cut keeps only these characters together; other entries would never match one token.
_JIEBA_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")


def find_qualification(text: str) -> Optional[Qualification]:
    """The qualification of this service named in `text`; a look-alike (注册会计师, 一建注册证书) is none."""
    try:
        key = named_qualification(text)
    except Exception:  # noqa: BLE001 - matchers never break a conversation
        return None
    return load_lexicon().qualifications[key] if key else None


def _jieba_ok(word: str) -> bool:
    """True when jieba's default cut can keep `word` as one token (Han characters and a few ASCII)."""
    return bool(word) and all(
        "\u4e00" <= char <= "\u9fd5" or char in _JIEBA_CHARS for char in word
    )


def jieba_entries() -> List[str]:
    """Lines "word freq tag" for a jieba user dictionary: every alias, level, city and term."""
    lexicon = load_lexicon()
    words: Dict[str, str] = {}

    def add(word: str, tag: str) -> None:
        """Add one word (first tag wins) when jieba can use it.

        Aliases ending in 证 (一建证) are left out: as dictionary words they would split 一建证书 into
        一建证 / 书.
        """
        word = clean(word)
        if tag != "n" and word.endswith("证"):
            return
        if _jieba_ok(word) and word not in words:
            words[word] = tag

    for qual in lexicon.qualifications.values():
        for alias in qual.aliases:
            add(alias, "nz")
        for alias, _ in qual.level_aliases:
            add(alias, "nz")
        for name in qual.specialties:
            add(name, "nz")
        for alias, _ in qual.specialty_aliases:
            add(alias, "nz")
    for aliases in lexicon.levels.values():
        for alias in aliases:
            add(alias, "m")
    for aliases in lexicon.cities.values():
        for alias in aliases:
            add(alias, "ns")
    for word, tag in lexicon.terms:
        add(word, tag)
    for doc in load_documents().values():
        for alias in doc.aliases:
            add(alias, "nz")
    return [f"{word} {JIEBA_FREQ} {tag}" for word, tag in words.items()]
