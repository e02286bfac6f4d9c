"""Attempt counting in the database: limits, the lock's length, forgiving, hashed subjects, concurrency."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select

from backend.models import ThrottleAttempt
from backend.throttle import Rule, admit, forgive

RULE = Rule("test", 3, 600)
T0 = datetime(2026, 12, 2, 8, 0, 0)


def test_the_limit_refuses_until_the_oldest_counted_attempt_leaves_the_window(app):
    factory = app.state.factory
    for seconds in (0, 60, 120):
        assert admit(factory, RULE, "BF2026120200001", T0 + timedelta(seconds=seconds)).allowed
    refused = admit(factory, RULE, "BF2026120200001", T0 + timedelta(seconds=200))
    assert not refused.allowed and refused.retry_after_s == 400
    again = admit(factory, RULE, "BF2026120200001", T0 + timedelta(seconds=599))
    assert not again.allowed and again.retry_after_s == 1  # refused attempts do not extend the lock
    assert admit(factory, RULE, "BF2026120200001", T0 + timedelta(seconds=600)).allowed
    assert admit(factory, RULE, "another subject", T0 + timedelta(seconds=200)).allowed


def test_forgiven_attempts_do_not_count(app):
    factory = app.state.factory
    for _ in range(10):
        forgive(factory, admit(factory, RULE, "wang", T0))
    assert admit(factory, RULE, "wang", T0).allowed


def test_subjects_are_stored_only_as_digests_and_old_rows_are_pruned(app):
    factory = app.state.factory
    admit(factory, RULE, "198.51.100.23", T0)
    admit(factory, RULE, "wang", T0 + timedelta(hours=2))
    with factory() as session:
        rows = session.execute(select(ThrottleAttempt)).scalars().all()
    assert len(rows) == 1 and "wang" not in rows[0].subject_hash and len(rows[0].subject_hash) == 64


def test_concurrent_attempts_cannot_slip_past_the_limit_together(app):
    factory = app.state.factory
    workers = 16
    barrier = threading.Barrier(workers)

    def attempt(_: int) -> bool:
        """Wait for every thread, then try once."""
        barrier.wait()
        return admit(factory, RULE, "BF2026120200002").allowed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        allowed = sum(pool.map(attempt, range(workers)))
    assert allowed <= RULE.limit
    assert admit(factory, RULE, "BF2026120200002").allowed == (allowed < RULE.limit)  # refused ones left no trace
