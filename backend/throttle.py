"""Attempt counting in the database, shared by every backend process: lockouts after repeated failures and quotas.

An attempt is recorded *before* it is judged and counted with every other recorded one, so concurrent attempts
cannot slip past the limit together (in a simultaneous burst one may even be refused that would have fitted, never
the other way round); an attempt that is refused, or that turns out to be a success that should not count, is taken
back. Subjects are stored only as SHA-256 and only until their window has passed.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from backend.errors import ApiError
from backend.models import ThrottleAttempt
from backend.numbering import utc_now_naive
from reissue.knowledge import message


@dataclass(frozen=True)
class Rule:
    """At most `limit` counted attempts of one subject within any `window_s` seconds, per `scope`."""

    scope: str
    limit: int
    window_s: float


@dataclass(frozen=True)
class Admission:
    """The verdict on one attempt: allowed (with the recorded attempt's id) or refused for `retry_after_s` seconds."""

    attempt_id: Optional[int]
    retry_after_s: int = 0

    @property
    def allowed(self) -> bool:
        """True when the attempt may go ahead."""
        return self.attempt_id is not None


LOGIN_BY_ADDRESS = Rule("login_address", 5, 15 * 60)
LOGIN_BY_ACCOUNT = Rule("login_account", 5, 15 * 60)
PROGRESS_GUESSES = Rule("progress_guess", 10, 60 * 60)


def subject_hash(subject: str) -> str:
    """The stored form of a subject (an address, an account name, an application number)."""
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()


def admit(factory: sessionmaker, rule: Rule, subject: str, now: Optional[datetime] = None) -> Admission:
    """Record one attempt of `subject` and judge it against `rule` (a refused attempt is not kept)."""
    now = now or utc_now_naive()
    start = now - timedelta(seconds=rule.window_s)
    digest = subject_hash(subject)
    with factory() as session:
        session.execute(delete(ThrottleAttempt).where(ThrottleAttempt.scope == rule.scope, ThrottleAttempt.at <= start))
        attempt = ThrottleAttempt(scope=rule.scope, subject_hash=digest, at=now)
        session.add(attempt)
        session.commit()
        others = session.execute(
            select(ThrottleAttempt.at).where(
                ThrottleAttempt.scope == rule.scope, ThrottleAttempt.subject_hash == digest,
                ThrottleAttempt.at > start, ThrottleAttempt.id != attempt.id,
            ).order_by(ThrottleAttempt.at)
        ).scalars().all()
        if len(others) < rule.limit:
            return Admission(attempt.id)
        session.execute(delete(ThrottleAttempt).where(ThrottleAttempt.id == attempt.id))
        session.commit()
    # The lock lifts when fewer than `limit` of the other attempts are left in the window.
    frees_at = others[len(others) - rule.limit] + timedelta(seconds=rule.window_s)
    return Admission(None, max(1, math.ceil((frees_at - now).total_seconds())))


def forgive(factory: sessionmaker, admission: Admission) -> None:
    """Take back an allowed attempt that should not count (the right password, the right ID last four)."""
    if admission.attempt_id is None:
        return
    with factory() as session:
        session.execute(delete(ThrottleAttempt).where(ThrottleAttempt.id == admission.attempt_id))
        session.commit()


def too_many(message_key: str, retry_after_s: int) -> ApiError:
    """The 429 answer, with the seconds to wait in Retry-After."""
    return ApiError(429, "too_many_requests", message(message_key), headers={"Retry-After": str(retry_after_s)})
