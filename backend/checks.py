"""Adapters to the project's shared validators (bot.parsing, bot.lexicon), imported at call time."""
from __future__ import annotations

from typing import Any, Optional, Tuple


def valid_id_number(text: str) -> Tuple[Optional[str], str]:
    """(normalised ID number, "") when it passes GB 11643 and the date checks; else (None, Chinese reason)."""
    from bot.parsing.id_number import validate_id_number

    result = validate_id_number(text)
    return (result.value.upper(), "") if result.ok else (None, result.message)


def valid_phone(text: str) -> Tuple[Optional[str], str]:
    """(normalised 11-digit mainland mobile number, "") or (None, Chinese reason)."""
    from bot.parsing.phone import validate_phone

    result = validate_phone(text)
    return (result.value, "") if result.ok else (None, result.message)


def known_qualification(text: str) -> Optional[Any]:
    """The lexicon's Qualification (.name, .levels, .first_year) when `text` names exactly one, else None.

    Exact names and aliases only (get_qualification); find_qualification's free-text search is a fallback
    used only when `text` is the canonical name of what it finds.
    """
    import bot.lexicon as lexicon

    exact = getattr(lexicon, "get_qualification", None)
    if exact is not None:
        return exact(text)
    found = lexicon.find_qualification(text)
    return found if found is not None and found.name == text else None


def known_city(text: str) -> Optional[str]:
    """The canonical name of one of Shandong's 16 cities when `text` is that name or an alias, else None."""
    import bot.lexicon as lexicon

    found = lexicon.find_city(text)
    if found is None:
        return None
    aliases = lexicon.load_lexicon().cities.get(found, (found,))
    return found if text in aliases else None
