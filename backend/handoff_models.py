"""Database tables of the live handoff (migration 0006_handoffs creates them, 0007_callbacks adds the channel
delivery columns)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text

from backend.models import Base


class Handoff(Base):
    """One conversation handed to a person: its queue entry (masked summary), who took it, how it ended."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    status = Column(String(16), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    token_hash = Column(String(64), nullable=False)
    topic = Column(String(64), nullable=False)
    summary = Column(Text, nullable=False)
    taken_by = Column(String(64), nullable=True)
    created_at = Column(DateTime, nullable=False, index=True)
    taken_at = Column(DateTime, nullable=True)
    ended_at = Column(DateTime, nullable=True)
    # A WeChat handoff: the conversation's HMAC (to find it from any worker) and its address, sealed.
    conversation_hash = Column(String(64), nullable=True, index=True)
    address_sealed = Column(Text, nullable=True)


class HandoffMessage(Base):
    """One message of a handoff's transcript (user, staff or the system's own notice), stored masked."""

    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    author = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)
    at = Column(DateTime, nullable=False)
    # A message a channel pushes (WeChat): pending, claimed (handed out once), sent, undelivered, notified.
    delivery = Column(String(16), nullable=True, index=True)


class HandoffEvent(Base):
    """The handoff's audit trail: queued, taken, replied, released, closed, expired — who and when."""

    __tablename__ = "handoff_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    action = Column(String(16), nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)
