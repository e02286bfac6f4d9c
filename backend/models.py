"""Database tables of the backend (the migrations in backend/migrations create exactly these)."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Application(Base):
    """One reissue application; personal numbers only as HMAC, masked form and ciphertext."""

    __tablename__ = "applications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(20), nullable=False, unique=True)
    idempotency_key = Column(String(128), nullable=False, unique=True)
    request_hash = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    reason = Column(String(32), nullable=False)
    qualification = Column(String(64), nullable=False)
    level = Column(String(32), nullable=True)
    specialty = Column(String(64), nullable=True)
    obtained = Column(String(7), nullable=False)
    applicant_name = Column(String(64), nullable=False, index=True)
    id_hmac = Column(String(64), nullable=False, index=True)
    id_masked = Column(String(32), nullable=False)
    id_last4 = Column(String(4), nullable=False, index=True)
    id_encrypted = Column(Text, nullable=False)
    cert_number = Column(String(64), nullable=True)
    cert_number_unknown = Column(Boolean, nullable=False, default=False)
    city = Column(String(16), nullable=False, index=True)
    phone_masked = Column(String(16), nullable=False)
    phone_encrypted = Column(Text, nullable=False)
    photo_ref = Column(String(40), nullable=True)
    channel = Column(String(16), nullable=False)
    sender_ref = Column(String(128), nullable=True)
    review_reason = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    events = relationship("StatusEvent", order_by="StatusEvent.id", back_populates="application")


class StatusEvent(Base):
    """The audit trail: one row per status change, with who, when, from, to and why."""

    __tablename__ = "status_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False)
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=False)
    reason = Column(Text, nullable=True)
    actor = Column(String(64), nullable=False)

    application = relationship("Application", back_populates="events")


class Photo(Base):
    """An uploaded ID photo; the bytes live in a file under upload_dir named after `ref`."""

    __tablename__ = "photos"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ref = Column(String(40), nullable=False, unique=True)
    content_type = Column(String(16), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)


class Feedback(Base):
    """One satisfaction rating left by an applicant."""

    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True, autoincrement=True)
    rating = Column(Integer, nullable=False)
    label = Column(String(8), nullable=False)
    comment = Column(Text, nullable=True)
    sender_ref = Column(String(128), nullable=True)
    application_number = Column(String(20), nullable=True)
    created_at = Column(DateTime, nullable=False)


class UnansweredQuestion(Base):
    """A question the assistant did not answer (abstained, fell back, routed out of scope), masked."""

    __tablename__ = "unanswered_questions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    text = Column(Text, nullable=False)
    kind = Column(String(16), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    guesses = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)


class StaffAccount(Base):
    """A member of staff who signs in to the staff page: a personal account with an argon2 password hash."""

    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(32), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    disabled_at = Column(DateTime, nullable=True)


class StaffSession(Base):
    """A signed-in browser: the SHA-256 of its cookie token (never the token), until logout or expiry."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    account_id = Column(Integer, ForeignKey("staff_accounts.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)

    account = relationship("StaffAccount")


class ThrottleAttempt(Base):
    """One counted attempt (a wrong password, a wrong ID last four, an upload) within a scope; the subject (an
    address, an account name, an application number) only as its SHA-256, kept until its window has passed."""

    __tablename__ = "throttle_attempts"
    __table_args__ = (Index("ix_throttle_attempts_scope_subject_at", "scope", "subject_hash", "at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    scope = Column(String(16), nullable=False)
    subject_hash = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)
