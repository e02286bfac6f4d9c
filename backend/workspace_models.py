"""Database tables of the staff workspace (migration 0005_workspace creates these, 0009_reviewed_documents the
reviewed look-alikes)."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint

from backend.models import Base


class KnowledgeDraft(Base):
    """A question that needs a new answer: drafted by staff, published only once it names its source."""

    __tablename__ = "knowledge_drafts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    question = Column(Text, nullable=False)
    answer = Column(Text, nullable=True)
    source = Column(Text, nullable=True)
    status = Column(String(16), nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    updated_by = Column(String(64), nullable=False)
    updated_at = Column(DateTime, nullable=False)


class QuestionReview(Base):
    """What staff decided about one unanswered question (it then leaves the inbox)."""

    __tablename__ = "question_reviews"

    id = Column(Integer, primary_key=True, autoincrement=True)
    question_id = Column(Integer, ForeignKey("unanswered_questions.id", ondelete="CASCADE"), nullable=False,
                         unique=True)
    action = Column(String(16), nullable=False)
    faq_key = Column(String(64), nullable=True)
    authority = Column(Text, nullable=True)
    draft_id = Column(Integer, ForeignKey("knowledge_drafts.id", ondelete="SET NULL"), nullable=True)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)


class ReviewedExample(Base):
    """A masked question staff mapped to an FAQ: a training example for the next training."""

    __tablename__ = "reviewed_examples"

    id = Column(Integer, primary_key=True, autoincrement=True)
    faq_key = Column(String(64), nullable=False, index=True)
    text = Column(Text, nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)


class ReviewedDocument(Base):
    """A look-alike staff marked out of scope: a documents lexicon entry for the next release (masked text)."""

    __tablename__ = "reviewed_documents"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(60), nullable=False)
    category = Column(String(32), nullable=False)
    aliases = Column(Text, nullable=False)  # a JSON list of what people typed; the name is always one
    authority = Column(Text, nullable=False)
    source = Column(Text, nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)


class RatingFollowup(Base):
    """What staff recorded about following up one 不满意 or 非常不满意 rating."""

    __tablename__ = "rating_followups"

    id = Column(Integer, primary_key=True, autoincrement=True)
    feedback_id = Column(Integer, ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False, unique=True)
    contacted = Column(Boolean, nullable=False, default=False)
    resolved = Column(Boolean, nullable=False, default=False)
    note = Column(Text, nullable=True)
    updated_by = Column(String(64), nullable=False)
    updated_at = Column(DateTime, nullable=False)


class KnowledgeVersion(Base):
    """One version of an answer's text, with who stored it, when and why."""

    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_knowledge_versions_key_version"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(64), nullable=False)
    version = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)
    note = Column(Text, nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)


class WorkspaceEvent(Base):
    """The workspace's audit trail: one row per staff action, with the signed-in account (or staff-token)."""

    __tablename__ = "workspace_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, index=True)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    subject = Column(String(128), nullable=False)
    detail = Column(Text, nullable=True)
