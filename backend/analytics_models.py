"""The table of projected conversation events (migration 0008_analytics creates exactly this)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String

from backend.models import Base


class AnalyticsEvent(Base):
    """One projected event of a conversation: names and time only, the conversation as its keyed hash."""

    __tablename__ = "analytics_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation = Column(String(32), nullable=False)
    channel = Column(String(8), nullable=True)
    kind = Column(String(16), nullable=False)
    intent = Column(String(64), nullable=True)
    action = Column(String(64), nullable=True)
    loop = Column(String(64), nullable=True)
    slot = Column(String(64), nullable=True)
    topics = Column(String(600), nullable=True)
    at = Column(DateTime, nullable=False, index=True)
