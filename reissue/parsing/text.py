"""Text clean-up shared by every parser: Traditional→Simplified, full-width→half-width, spacing."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, List, Optional, Tuple

# Characters kept although Unicode calls them "format" characters; none are wanted, so none are listed.
_MIDDLE_DOTS = "·•・‧･∙⋅"
_SPACES = re.compile(r"\s+")
_SEPARATORS = " -‐‑‒–—―－"


@lru_cache(maxsize=1)
def _t2s_converter() -> Any:
    """The OpenCC Traditional→Simplified converter, created on first use."""
    import opencc  # imported lazily: the dictionary load is not free

    return opencc.OpenCC("t2s")


def to_simplified(text: Any) -> str:
    """Convert Traditional Chinese to Simplified; any non-string becomes its string form first."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if not value:
        return ""
    try:
        return str(_t2s_converter().convert(value))
    except Exception:  # noqa: BLE001 - a conversion problem must never break a conversation
        return value


def _halfwidth_char(char: str) -> str:
    """Map one full-width ASCII character or ideographic space to its half-width form."""
    code = ord(char)
    if code == 0x3000:
        return " "
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return char


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and punctuation → half-width; everything else unchanged."""
    return "".join(_halfwidth_char(char) for char in text)


def _is_control(char: str) -> bool:
    """True for control and invisible format characters (zero-width spaces, BOM …)."""
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def normalise(text: Any) -> str:
    """Full-width→half-width, drop control characters, collapse whitespace, strip; keep the middle dot ·."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    value = to_halfwidth(value)
    value = "".join(" " if char in "\t\n\r" else char for char in value if not _is_control(char))
    return _SPACES.sub(" ", value).strip()


def clean(text: Any) -> str:
    """`normalise` then `to_simplified`: the form every matcher works on."""
    return to_simplified(normalise(text))


def unify_middle_dots(text: str) -> str:
    """Replace the look-alikes of the middle dot used in minority names by ·."""
    return "".join("·" if char in _MIDDLE_DOTS else char for char in text)


def number_candidates(text: str, length: int, last_may_be_x: bool = False) -> List[Tuple[int, int, str]]:
    """Digit sequences of exactly `length` characters in `text`, allowing single spaces or dashes inside.

    A sequence is one or more consecutive digit groups of a run such as "138 0013 8000"; it never starts or
    ends inside a group, so an 11-digit phone number is never found inside an 18-digit ID number. A group
    next to the sequence must be a separate number (6 digits or more) or, on the left, the prefix 86/0086;
    otherwise "0531 1380 0138 000" would yield a phone number. Returns (start, end, digits) with positions
    in `text`.
    """
    tail = "0-9Xx" if last_may_be_x else "0-9"
    group = re.compile(rf"[0-9]+[{tail}]?" if last_may_be_x else r"[0-9]+")
    results: List[Tuple[int, int, str]] = []
    run_pattern = re.compile(
        rf"(?<![0-9A-Za-z])[0-9][{tail}]*(?:[{re.escape(_SEPARATORS)}][0-9][{tail}]*)*(?![0-9A-Za-z])"
    )
    for run in run_pattern.finditer(text):
        groups: List[Tuple[int, int, str]] = []
        for found in group.finditer(run.group(0)):
            groups.append((run.start() + found.start(), run.start() + found.end(), found.group(0)))
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last][2]
                if len(digits) > length:
                    break
                if len(digits) == length and _x_only_at_end(digits):
                    if _separate(groups, first, last):
                        results.append((groups[first][0], groups[last][1], digits))
                    break
    results.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    return _drop_overlaps(results)


def _separate(groups: List[Tuple[int, int, str]], first: int, last: int) -> bool:
    """True when the groups around groups[first..last] are numbers of their own (or a +86 prefix)."""
    if first > 0:
        left = groups[first - 1][2]
        if len(left) < 6 and left not in ("86", "0086"):
            return False
    return not (last + 1 < len(groups) and len(groups[last + 1][2]) < 6)


def _x_only_at_end(digits: str) -> bool:
    """True when an X, if any, is only the last character."""
    return "X" not in digits[:-1].upper()


def _drop_overlaps(spans: List[Tuple[int, int, str]]) -> List[Tuple[int, int, str]]:
    """Keep spans in order, dropping any that overlap one kept before."""
    kept: List[Tuple[int, int, str]] = []
    end = -1
    for span in spans:
        if span[0] >= end:
            kept.append(span)
            end = span[1]
    return kept


def first_or_none(items: List[Any]) -> Optional[Any]:
    """The first item of a list, or None when it is empty."""
    return items[0] if items else None
