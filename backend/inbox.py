"""The inbox of unanswered questions: open questions grouped, and what staff decide about a group (map to an FAQ,
needs a new answer, out of scope with the authority, dismiss), each decision audited; the drafts of new answers."""
from __future__ import annotations

import json
from typing import List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from backend import audit
from backend.errors import ApiError
from backend.models import UnansweredQuestion
from backend.numbering import utc_now_naive
from backend.workspace_models import KnowledgeDraft, QuestionReview, ReviewedExample
from reissue.answering.grouping import Group, Question, group_questions
from reissue.knowledge import faq_entries, message

MAP, NEW_ANSWER, OUT_OF_SCOPE, DISMISS = "map", "new_answer", "out_of_scope", "dismiss"
ACTIONS = (MAP, NEW_ANSWER, OUT_OF_SCOPE, DISMISS)
DRAFT, PUBLISHED = "draft", "published"
# The newest open questions that are grouped (older ones wait until these are handled).
MAX_OPEN = 5000
MAX_GROUP = 500


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


def gone() -> ApiError:
    """The 409 for questions already decided about (or deleted)."""
    return ApiError(409, "conflict", message("workspace_questions_gone"))


def action_label(action: str, faq_key: str = "", authority: str = "") -> str:
    """The decision in words, for the notice on the page."""
    return message(f"workspace_action_{action}", faq_key=faq_key, authority=authority)


def review(factory: sessionmaker, ids: Sequence[int], action: str, actor: str, faq_key: str = "",
           authority: str = "") -> int:
    """Decide about these open questions as `actor`; 422 for a wrong FAQ key or a missing authority, 409 when
    any of them was already decided about or no longer exists. Returns how many were decided about."""
    wanted = sorted(set(ids))
    if action == MAP and faq_key not in faq_entries():
        raise ApiError(422, "validation_error", "提交的内容有误，请按提示修改。",
                       {"faq_key": message("workspace_unknown_faq", faq_key=faq_key[:64])})
    if action == OUT_OF_SCOPE and not authority.strip():
        raise ApiError(422, "validation_error", "提交的内容有误，请按提示修改。",
                       {"authority": message("workspace_authority_required")})
    now = utc_now_naive()
    with factory() as session:
        rows = session.execute(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(wanted))).scalars().all()
        if len(rows) != len(wanted):
            raise gone()
        draft_id: Optional[int] = None
        if action == NEW_ANSWER:
            draft = KnowledgeDraft(question=rows[-1].text, status=DRAFT, created_by=actor, created_at=now,
                                   updated_by=actor, updated_at=now)
            session.add(draft)
            session.flush()
            draft_id = draft.id
        for row in rows:
            session.add(QuestionReview(question_id=row.id, action=action, faq_key=faq_key if action == MAP else None,
                                       authority=authority.strip() if action == OUT_OF_SCOPE else None,
                                       draft_id=draft_id, actor=actor, at=now))
        if action == MAP:
            for text in sorted({row.text for row in rows}):
                session.add(ReviewedExample(faq_key=faq_key, text=text, actor=actor, at=now))
        audit.record(session, actor, f"unanswered_{action}", f"questions:{len(wanted)}",
                     {"ids": wanted, "faq_key": faq_key or None, "authority": authority.strip() or None,
                      "draft_id": draft_id})
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise gone() from None
    return len(wanted)


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
    return ApiError(422, "validation_error", "提交的内容有误，请按提示修改。", {field: message(key)})


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
