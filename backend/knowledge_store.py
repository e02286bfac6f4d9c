"""The knowledge store: the current text of every FAQ answer, each change a new version with who, when and why,
and a rollback to any version. Version 0 is the training-time default (reissue/knowledge, data/responses)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from backend import audit
from backend.errors import ApiError
from backend.numbering import utc_now_naive
from backend.workspace_models import KnowledgeVersion
from reissue.knowledge import faq_entries, message
from reissue.knowledge.live import default_source, default_text, departure_admitted, missing_quotes

MAX_TEXT = 2000
MAX_NOTE = 500


@dataclass(frozen=True)
class Version:
    """One version of an answer: 0 is the default, which nobody stored."""

    key: str
    version: int
    text: str
    note: str
    actor: Optional[str]
    at: Optional[datetime]


@dataclass(frozen=True)
class Entry:
    """An FAQ answer as it is now."""

    key: str
    title: str
    source: str
    current: Version

    @property
    def is_default(self) -> bool:
        """True when the current text is the training-time default."""
        return self.current.text == default_text(self.key)


def _default(key: str) -> Version:
    """Version 0 of an answer."""
    return Version(key=key, version=0, text=default_text(key), note="", actor=None, at=None)


def _version(row: KnowledgeVersion) -> Version:
    """A stored version."""
    return Version(key=row.key, version=row.version, text=row.text, note=row.note, actor=row.actor, at=row.at)


def unknown_key(key: str) -> ApiError:
    """The 404 for a key that is not an FAQ answer."""
    return ApiError(404, "not_found", message("knowledge_unknown", faq_key=key[:64]))


def entries(factory: sessionmaker) -> List[Entry]:
    """Every FAQ answer in the knowledge base's order, with its latest version."""
    with factory() as session:
        latest = select(KnowledgeVersion.key, func.max(KnowledgeVersion.version).label("version")) \
            .group_by(KnowledgeVersion.key).subquery()
        rows = session.execute(select(KnowledgeVersion).join(
            latest, (KnowledgeVersion.key == latest.c.key) & (KnowledgeVersion.version == latest.c.version)
        )).scalars().all()
    stored: Dict[str, Version] = {row.key: _version(row) for row in rows}
    return [Entry(key=key, title=entry.title, source=default_source(key), current=stored.get(key) or _default(key))
            for key, entry in faq_entries().items()]


def entry(factory: sessionmaker, key: str) -> Entry:
    """One FAQ answer as it is now; 404 for an unknown key."""
    found = [item for item in entries(factory) if item.key == key]
    if not found:
        raise unknown_key(key)
    return found[0]


def history(factory: sessionmaker, key: str) -> List[Version]:
    """Every version of an answer, newest first, the default last; 404 for an unknown key."""
    if key not in faq_entries():
        raise unknown_key(key)
    with factory() as session:
        rows = session.execute(select(KnowledgeVersion).where(KnowledgeVersion.key == key)
                               .order_by(KnowledgeVersion.version.desc())).scalars().all()
    return [_version(row) for row in rows] + [_default(key)]


def _invalid(fields: Dict[str, str]) -> ApiError:
    """A 422 naming the fields."""
    return ApiError(422, "validation_error", "提交的内容有误，请按提示修改。", fields)


def check(key: str, text: str, note: str) -> None:
    """422 when the text or note is empty, or the text drops a quoted fact of the guide without a note saying so."""
    fields: Dict[str, str] = {}
    if not text:
        fields["text"] = message("knowledge_text_required")
    if not note:
        fields["note"] = message("knowledge_note_required")
    if text and note:
        missing = missing_quotes(key, text)
        if missing and not departure_admitted(note):
            quotes = "、".join(f"“{fact.value}”（{fact.source}）" for fact in missing)
            fields["text"] = message("knowledge_guide_words", quotes=quotes)
    if fields:
        raise _invalid(fields)


def store(factory: sessionmaker, key: str, text: str, note: str, actor: str, action: str = "knowledge_edit") -> Entry:
    """Store a new version of an answer as `actor`; 404 unknown key, 422 see `check`, 409 when another version
    was stored at the same moment."""
    if key not in faq_entries():
        raise unknown_key(key)
    text, note = text.strip()[:MAX_TEXT], note.strip()[:MAX_NOTE]
    check(key, text, note)
    with factory() as session:
        latest = session.execute(select(func.max(KnowledgeVersion.version))
                                 .where(KnowledgeVersion.key == key)).scalar_one_or_none() or 0
        row = KnowledgeVersion(key=key, version=latest + 1, text=text, note=note, actor=actor, at=utc_now_naive())
        session.add(row)
        audit.record(session, actor, action, f"knowledge:{key}", {"version": latest + 1, "note": note})
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise ApiError(409, "conflict", message("knowledge_changed")) from None
    return entry(factory, key)


def rollback(factory: sessionmaker, key: str, version: int, note: str, actor: str) -> Entry:
    """Store the text of an earlier version (0: the default) as a new version; 404 for an unknown version."""
    found = [item for item in history(factory, key) if item.version == version]
    if not found:
        raise ApiError(404, "not_found", message("knowledge_unknown_version", version=version))
    reason = message("knowledge_rollback_note", version=version, note=note.strip())
    return store(factory, key, found[0].text, reason if note.strip() else "", actor, action="knowledge_rollback")
