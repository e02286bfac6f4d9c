"""The qualifications of this service, their levels and specialties, Shandong cities and terms, with matchers."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from reissue.parsing.text import clean

LEXICON_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Qualification:
    """One qualification: canonical name, aliases, levels, specialties and facts the forms check."""

    key: str
    name: str
    aliases: Tuple[str, ...]
    levels: Tuple[str, ...]
    has_specialty: bool
    specialties: Tuple[str, ...]
    first_year: int
    ecert: bool
    ecert_levels: Tuple[str, ...] = ()
    level_aliases: Tuple[Tuple[str, str], ...] = ()
    specialty_aliases: Tuple[Tuple[str, str], ...] = ()
    source: str = ""

    def has_ecert(self, level: Optional[str] = None) -> bool:
        """True when certificates of this qualification (at `level`, if given) have electronic versions."""
        if not self.ecert:
            return False
        if level is None or not self.ecert_levels:
            return True
        return level in self.ecert_levels


@dataclass(frozen=True)
class Lexicon:
    """Everything in this folder's YAML files, loaded once."""

    qualifications: Dict[str, Qualification]
    levels: Dict[str, Tuple[str, ...]]
    cities: Dict[str, Tuple[str, ...]]
    terms: Tuple[Tuple[str, str], ...]


def _read(name: str) -> dict:
    """Read one YAML file of the lexicon folder."""
    with open(LEXICON_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _key(text: str) -> str:
    """The form an alias or an input is compared in: cleaned, Simplified, lower case."""
    return clean(text).lower()


def _specialties(raw: list) -> Tuple[Tuple[str, ...], Tuple[Tuple[str, str], ...]]:
    """Split a YAML specialty list (names or {name, aliases}) into names and (alias, name) pairs."""
    names: List[str] = []
    aliases: List[Tuple[str, str]] = []
    for item in raw or []:
        if isinstance(item, dict):
            name = str(item["name"])
            aliases.extend((str(alias), name) for alias in item.get("aliases") or [])
        else:
            name = str(item)
        names.append(name)
    return tuple(names), tuple(aliases)


def _qualification(key: str, item: dict) -> Qualification:
    """Build one Qualification from its YAML mapping."""
    specialties, specialty_aliases = _specialties(item.get("specialties") or [])
    name = str(item["name"])
    aliases = tuple(dict.fromkeys([name] + [str(alias) for alias in item.get("aliases") or []]))
    return Qualification(
        key=key,
        name=name,
        aliases=aliases,
        levels=tuple(str(level) for level in item.get("levels") or []),
        has_specialty=bool(item.get("has_specialty", False)),
        specialties=specialties,
        first_year=int(item["first_year"]),
        ecert=bool(item.get("ecert", False)),
        ecert_levels=tuple(str(level) for level in item.get("ecert_levels") or []),
        level_aliases=tuple((str(a), str(b)) for a, b in (item.get("level_aliases") or {}).items()),
        specialty_aliases=specialty_aliases,
        source=str(item.get("source") or ""),
    )


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Load (once) and return the whole lexicon."""
    raw_quals = _read("qualifications.yml")
    qualifications = {
        key: _qualification(key, item) for key, item in (raw_quals.get("qualifications") or {}).items()
    }
    levels = {
        str(name): tuple(dict.fromkeys([str(name)] + [str(a) for a in aliases or []]))
        for name, aliases in (_read("levels.yml").get("levels") or {}).items()
    }
    cities = {
        str(name): tuple(dict.fromkeys([str(name)] + [str(a) for a in aliases or []]))
        for name, aliases in (_read("cities.yml").get("cities") or {}).items()
    }
    terms: List[Tuple[str, str]] = []
    for item in _read("terms.yml").get("terms") or []:
        if isinstance(item, dict):
            terms.append((str(item["word"]), str(item.get("tag", "n"))))
        else:
            terms.append((str(item), "n"))
    return Lexicon(qualifications, levels, cities, tuple(terms))


def _longest_match(text: str, table: Tuple[Tuple[str, str], ...]) -> Optional[Tuple[int, int, str]]:
    """Longest (then earliest) alias of `table` ((alias key, value) pairs) found in `text`."""
    best: Optional[Tuple[int, int, str]] = None
    for alias, value in table:
        if not alias:
            continue
        start = text.find(alias)
        while start >= 0:
            end = start + len(alias)
            if best is None or (end - start, -start) > (best[1] - best[0], -best[0]):
                best = (start, end, value)
            start = text.find(alias, start + 1)
    return best


@lru_cache(maxsize=1)
def _qualification_table() -> Tuple[Tuple[str, str], ...]:
    """(alias key, qualification key) pairs for every alias."""
    return tuple(
        (_key(alias), qual.key)
        for qual in load_lexicon().qualifications.values()
        for alias in qual.aliases
    )


def qualification_aliases() -> Tuple[str, ...]:
    """Every alias of every qualification, cleaned."""
    return tuple(alias for alias, _ in _qualification_table())


def get_qualification(name_or_key: str) -> Optional[Qualification]:
    """A qualification by its key, canonical name or any alias (exact, after cleaning)."""
    lexicon = load_lexicon()
    if name_or_key in lexicon.qualifications:
        return lexicon.qualifications[name_or_key]
    wanted = _key(name_or_key)
    for alias, key in _qualification_table():
        if alias == wanted:
            return lexicon.qualifications[key]
    return None


@lru_cache(maxsize=1)
def _level_table() -> Tuple[Tuple[str, str], ...]:
    """(alias key, canonical level) pairs of levels.yml."""
    return tuple((_key(alias), name) for name, aliases in load_lexicon().levels.items() for alias in aliases)


def find_level(text: str, qualification: Optional[Qualification] = None) -> Optional[str]:
    """The level named in `text`; with a qualification, only its allowed levels (and its own level words).

    When the qualification has exactly one level (一级建造师 → 一级) and `text` names no other, that level.
    """
    try:
        key = _key(text)
        if qualification is None:
            found = _longest_match(key, _level_table())
            return found[2] if found else None
        allowed = set(qualification.levels)
        table = tuple((_key(alias), level) for alias, level in qualification.level_aliases) + tuple(
            pair for pair in _level_table() if pair[1] in allowed
        )
        found = _longest_match(key, table)
        if found:
            return found[2]
        if len(qualification.levels) == 1 and not _longest_match(key, _level_table()):
            return qualification.levels[0]
        return None
    except Exception:  # noqa: BLE001
        return None


def find_specialty(text: str, qualification: Qualification) -> Optional[str]:
    """The specialty of `qualification` named in `text` (canonical name), if any."""
    try:
        table = tuple((_key(name), name) for name in qualification.specialties) + tuple(
            (_key(alias), name) for alias, name in qualification.specialty_aliases
        )
        found = _longest_match(_key(text), table)
        return found[2] if found else None
    except Exception:  # noqa: BLE001
        return None


@lru_cache(maxsize=1)
def _city_table() -> Tuple[Tuple[str, str], ...]:
    """(alias key, canonical city) pairs."""
    return tuple((_key(alias), name) for name, aliases in load_lexicon().cities.items() for alias in aliases)


def exact_city(text: str) -> Optional[str]:
    """The canonical name of a Shandong city when `text` is exactly its name or an alias, else None."""
    found = find_city(text)
    return found if found is not None and text in load_lexicon().cities.get(found, (found,)) else None


def find_city(text: str) -> Optional[str]:
    """The Shandong city named in `text`, as its canonical name ("济南市")."""
    try:
        found = _longest_match(_key(text), _city_table())
    except Exception:  # noqa: BLE001
        return None
    return found[2] if found else None


def ruler_patterns() -> List[dict]:
    """spaCy EntityRuler phrase patterns: label qualification/level/city, pattern = alias, id = canonical."""
    lexicon = load_lexicon()
    patterns: List[dict] = []
    seen = set()

    def add(label: str, alias: str, canonical: str) -> None:
        """Add one pattern once."""
        alias = clean(alias)
        if alias and (label, alias) not in seen:
            seen.add((label, alias))
            patterns.append({"label": label, "pattern": alias, "id": canonical})

    for qual in lexicon.qualifications.values():
        for alias in qual.aliases:
            add("qualification", alias, qual.name)
            if alias != alias.upper():
                add("qualification", alias.upper(), qual.name)
    for name, aliases in lexicon.levels.items():
        for alias in aliases:
            add("level", alias, name)
            if alias != alias.upper():
                add("level", alias.upper(), name)
    for name, aliases in lexicon.cities.items():
        for alias in aliases:
            add("city", alias, name)
    return patterns
