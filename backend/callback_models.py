"""Database tables of the callback numbers (migration 0007_callbacks creates exactly these)."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text

from backend.models import Base


class Callback(Base):
    """One offer to call a user back: the consent, the number (masked; sealed until it is no longer needed), the
    conversation's masked summary, and the staff's record of the call."""

    __tablename__ = "callbacks"

    id = Column(Integer, primary_key=True, autoincrement=True)
    status = Column(String(16), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    reason = Column(String(16), nullable=False)
    handoff_id = Column(Integer, nullable=True)
    token_hash = Column(String(64), nullable=True)
    conversation_hash = Column(String(64), nullable=True, index=True)
    topic = Column(String(64), nullable=False)
    summary = Column(Text, nullable=False)
    phone_masked = Column(String(16), nullable=True)
    phone_sealed = Column(Text, nullable=True)
    misses = Column(Integer, nullable=False, default=0, server_default="0")
    created_at = Column(DateTime, nullable=False, index=True)
    numbered_at = Column(DateTime, nullable=True)
    recorded_at = Column(DateTime, nullable=True)
    recorded_by = Column(String(64), nullable=True)
    reached = Column(Boolean, nullable=True)
    note = Column(Text, nullable=True)
    number_deleted_at = Column(DateTime, nullable=True)


class CallbackEvent(Base):
    """The callback's audit trail: offered, consented, numbered, declined, recorded, lapsed — who and when."""

    __tablename__ = "callback_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    callback_id = Column(Integer, ForeignKey("callbacks.id", ondelete="CASCADE"), nullable=False, index=True)
    action = Column(String(16), nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)
