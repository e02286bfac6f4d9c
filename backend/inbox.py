"""The inbox of unanswered questions: open questions grouped, and what staff decide about a group (map to an FAQ,
needs a new answer, out of scope with the document, the authority and the source — a look-alike for the documents
lexicon —, dismiss), each decision audited; the drafts of new answers."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from backend import audit
from backend.errors import ApiError
from backend.models import UnansweredQuestion
from backend.numbering import utc_now_naive
from backend.workspace_models import KnowledgeDraft, QuestionReview, ReviewedDocument, ReviewedExample
from reissue.answering.grouping import Group, Question, group_questions
from reissue.knowledge import faq_entries, message
from reissue.lexicon.documents import load_documents
from reissue.masking import scrub
from reissue.parsing.text import clean, normalise

MAP, NEW_ANSWER, OUT_OF_SCOPE, DISMISS = "map", "new_answer", "out_of_scope", "dismiss"
ACTIONS = (MAP, NEW_ANSWER, OUT_OF_SCOPE, DISMISS)
DRAFT, PUBLISHED = "draft", "published"
# The newest open questions that are grouped (older ones wait until these are handled).
MAX_OPEN = 5000
MAX_GROUP = 500
# A look-alike's category when staff choose none: a certificate another authority issues.
DEFAULT_CATEGORY = "other_ministry"
MAX_NAME, MAX_ALIAS, MAX_ALIASES, MAX_AUTHORITY, MAX_SOURCE = 60, 40, 20, 200, 500
MIN_ALIAS = 2
# What the page's alias field may separate aliases with.
ALIAS_SEPARATORS = re.compile(r"[、,，;；\n]+")
URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class LookAlike:
    """What an out-of-scope decision adds to the documents lexicon besides the authority: the document's name,
    what people call it (the name when none), its category and the public page or rule the referral rests on."""

    name: str = ""
    aliases: Tuple[str, ...] = ()
    category: str = ""
    source: str = ""


def categories() -> List[str]:
    """The categories the documents lexicon uses, in its order."""
    return list(dict.fromkeys(doc.category for doc in load_documents().values()))


def split_aliases(text: str) -> Tuple[str, ...]:
    """The aliases typed in one field, separated by 、 , ; or new lines."""
    return tuple(part for part in ALIAS_SEPARATORS.split(text) if part.strip())


def _look_alike(found: LookAlike) -> LookAlike:
    """The look-alike as stored: names in the lexicon's form (Simplified, half-width), personal numbers masked,
    aliases without repeats and starting with the name, the default category."""
    name = scrub(clean(found.name))
    aliases = [scrub(clean(alias)) for alias in found.aliases]
    source = normalise(found.source)
    return LookAlike(name=name, aliases=tuple(alias for alias in dict.fromkeys([name, *aliases]) if alias),
                     category=found.category.strip() or DEFAULT_CATEGORY,
                     source=source if URL.match(source) else scrub(source))


def look_alike_errors(found: LookAlike, authority: str) -> Dict[str, str]:
    """The field messages of an out-of-scope decision that cannot become a lexicon entry (empty when it can)."""
    errors: Dict[str, str] = {}
    if not found.name:
        errors["name"] = message("workspace_document_name_required")
    if not authority:
        errors["authority"] = message("workspace_authority_required")
    if not found.source:
        errors["source"] = message("workspace_document_source_required")
    if found.category not in categories():
        errors["category"] = message("workspace_document_unknown_category", category=found.category[:32])
    short = [alias for alias in found.aliases if len(alias) < MIN_ALIAS]
    if short:
        errors["aliases"] = message("workspace_document_short_alias", aliases=" ".join(short))
    return errors


def _question(row: UnansweredQuestion) -> Question:
    """A stored row as grouping needs it."""
    guesses = tuple((str(g.get("label")), float(g.get("confidence") or 0.0)) for g in json.loads(row.guesses or "[]"))
    return Question(id=row.id, text=row.text, kind=row.kind, channel=row.channel, guesses=guesses,
                    created_at=row.created_at)


def open_questions(factory: sessionmaker, limit: int = MAX_OPEN) -> List[Question]:
    """The newest questions no member of staff has decided about yet."""
    reviewed = select(QuestionReview.question_id)
    with factory() as session:
        rows = session.execute(
            select(UnansweredQuestion).where(UnansweredQuestion.id.not_in(reviewed))
            .order_by(UnansweredQuestion.id.desc()).limit(limit)
        ).scalars().all()
    return [_question(row) for row in rows]


def groups(factory: sessionmaker, order: str) -> List[Group]:
    """The open questions in groups of near-identical ones, in `order` (frequent or recent)."""
    return group_questions(open_questions(factory), order)


def faq_keys() -> List[str]:
    """The FAQ keys a group can be mapped to."""
    return list(faq_entries())


def invalid(fields: Dict[str, str]) -> ApiError:
    """The 422 naming each field that stops a decision or a draft."""
    return ApiError(422, "validation_error", "提交的内容有误，请按提示修改。", fields)


def gone() -> ApiError:
    """The 409 for questions already decided about (or deleted)."""
    return ApiError(409, "conflict", message("workspace_questions_gone"))


def action_label(action: str, faq_key: str = "", authority: str = "") -> str:
    """The decision in words, for the notice on the page."""
    return message(f"workspace_action_{action}", faq_key=faq_key, authority=authority)


def review(factory: sessionmaker, ids: Sequence[int], action: str, actor: str, faq_key: str = "",
           authority: str = "", look_alike: Optional[LookAlike] = None) -> int:
    """Decide about these open questions as `actor`; 422 for a wrong FAQ key, or an out-of-scope decision without
    the document's name, the authority or the source (or with an unknown category); 409 when any of them was
    already decided about or no longer exists. Returns how many were decided about."""
    wanted = sorted(set(ids))
    authority = scrub(normalise(authority))
    document = _look_alike(look_alike or LookAlike()) if action == OUT_OF_SCOPE else None
    if action == MAP and faq_key not in faq_entries():
        raise invalid({"faq_key": message("workspace_unknown_faq", faq_key=faq_key[:64])})
    errors = look_alike_errors(document, authority) if document is not None else {}
    if errors:
        raise invalid(errors)
    now = utc_now_naive()
    with factory() as session:
        rows = session.execute(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(wanted))).scalars().all()
        if len(rows) != len(wanted):
            raise gone()
        draft_id: Optional[int] = None
        document_id: Optional[int] = None
        if action == NEW_ANSWER:
            draft = KnowledgeDraft(question=rows[-1].text, status=DRAFT, created_by=actor, created_at=now,
                                   updated_by=actor, updated_at=now)
            session.add(draft)
            session.flush()
            draft_id = draft.id
        if document is not None:
            entry = ReviewedDocument(name=document.name, category=document.category,
                                     aliases=json.dumps(list(document.aliases), ensure_ascii=False),
                                     authority=authority, source=document.source, actor=actor, at=now)
            session.add(entry)
            session.flush()
            document_id = entry.id
        for row in rows:
            session.add(QuestionReview(question_id=row.id, action=action, faq_key=faq_key if action == MAP else None,
                                       authority=authority if action == OUT_OF_SCOPE else None,
                                       draft_id=draft_id, actor=actor, at=now))
        if action == MAP:
            for text in sorted({row.text for row in rows}):
                session.add(ReviewedExample(faq_key=faq_key, text=text, actor=actor, at=now))
        detail = {"ids": wanted, "faq_key": faq_key or None, "authority": authority or None, "draft_id": draft_id}
        if document is not None:
            detail.update(document_id=document_id, name=document.name, category=document.category,
                          source=document.source)
        audit.record(session, actor, f"unanswered_{action}", f"questions:{len(wanted)}", detail)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise gone() from None
    return len(wanted)


def reviewed_documents(factory: sessionmaker) -> List[ReviewedDocument]:
    """Every look-alike staff marked out of scope, oldest first."""
    with factory() as session:
        return list(session.execute(select(ReviewedDocument).order_by(ReviewedDocument.id)).scalars().all())


def reviewed_examples(factory: sessionmaker) -> List[ReviewedExample]:
    """Every reviewed training example, by FAQ key and age."""
    with factory() as session:
        return list(session.execute(select(ReviewedExample).order_by(ReviewedExample.faq_key, ReviewedExample.id))
                    .scalars().all())


def drafts(factory: sessionmaker) -> List[KnowledgeDraft]:
    """Every draft of a new answer, unpublished first, newest first."""
    with factory() as session:
        return list(session.execute(select(KnowledgeDraft).order_by(KnowledgeDraft.status,
                                                                    KnowledgeDraft.id.desc())).scalars().all())


def _draft_error(field: str, key: str) -> ApiError:
    """A 422 naming the draft field that stops it."""
    return invalid({field: message(key)})


def save_draft(factory: sessionmaker, draft_id: int, answer: str, source: str, actor: str,
               publish: bool = False) -> KnowledgeDraft:
    """Store the draft's answer and source as `actor`, and publish it when asked: publishing needs an answer and
    a source (422 otherwise); a published draft no longer changes (409); an unknown one is 404."""
    answer, source = answer.strip(), source.strip()
    if publish and not answer:
        raise _draft_error("answer", "workspace_draft_needs_answer")
    if publish and not source:
        raise _draft_error("source", "workspace_draft_needs_source")
    with factory() as session:
        draft = session.get(KnowledgeDraft, draft_id, with_for_update=True)
        if draft is None:
            raise ApiError(404, "not_found", message("workspace_draft_unknown"))
        if draft.status == PUBLISHED:
            raise ApiError(409, "conflict", message("workspace_draft_published_already"))
        draft.answer, draft.source = answer or None, source or None
        draft.updated_by, draft.updated_at = actor, utc_now_naive()
        if publish:
            draft.status = PUBLISHED
        audit.record(session, actor, "draft_publish" if publish else "draft_save", f"draft:{draft_id}",
                     {"source": draft.source})
        session.commit()
        return draft
