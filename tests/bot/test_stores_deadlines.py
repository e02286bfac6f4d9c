"""Every tracker and lock store call has a deadline: a database or Redis that stops answering cannot freeze Rasa."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.core.lock_store import LockError
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import AtomicRedisLockStore, ObservedSQLTrackerStore, TrackerStoreUnavailable, tracker_store_health
from tests.bot.stalling_server import FullAcceptQueue, StallingProxy

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
WATCHDOG_S = 8.0  # a store without deadlines blocks until then, so a failing test still ends


def admin(sql: str) -> None:
    """Run one statement on the local PostgreSQL outside a transaction."""
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(sql))
    engine.dispose()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The name of a new empty database on the local PostgreSQL, dropped afterwards."""
    name = f"reissue_deadline_{uuid.uuid4().hex[:10]}"
    admin(f"CREATE DATABASE {name}")
    yield name
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def proxy() -> Iterator[StallingProxy]:
    """A stalling proxy in front of the local PostgreSQL, resumed by a watchdog and closed afterwards."""
    stalling = StallingProxy(("127.0.0.1", 5432))
    watchdog = threading.Timer(WATCHDOG_S, stalling.resume)
    watchdog.start()
    yield stalling
    watchdog.cancel()
    stalling.resume()
    stalling.close()


def tracker_with(sender: str, text: str) -> DialogueStateTracker:
    """A tracker holding one user message."""
    tracker = DialogueStateTracker(sender, [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}))
    return tracker


def row_count(store: ObservedSQLTrackerStore, sender: str) -> int:
    """The sender's rows, counted on a connection that bypasses the proxy."""
    engine = sa.create_engine(store.engine.url.set(port=5432))
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    engine.dispose()
    return count


class Ticker:
    """Counts how often the event loop got to run a 20 ms sleep: zero while something blocks the loop."""

    def __init__(self) -> None:
        """Start counting on the running loop."""
        self.ticks = 0
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        """Tick for ever."""
        while True:
            await asyncio.sleep(0.02)
            self.ticks += 1


async def test_a_database_that_stops_answering_fails_each_call_within_its_bound_and_the_loop_runs_on(
    proxy: StallingProxy, pg_database: str
) -> None:
    """PostgreSQL accepts and never answers (SIGSTOP): a save fails within the bound, the loop stays free, health
    says failing within 3 s even with every worker stuck; after SIGCONT nothing is stored twice."""
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=f"postgresql://postgres@127.0.0.1:{proxy.port}/{pg_database}",
                                    timeout_s=1.0)
    tracker = tracker_with("alice", "你好")
    await store.save(tracker)
    proxy.stall()
    ticker = Ticker()
    tracker.update(UserUttered("补办要多久", {"name": "faq", "confidence": 1.0}))
    started = time.monotonic()
    with pytest.raises(TrackerStoreUnavailable, match="no answer"):
        await store.save(tracker)
    assert time.monotonic() - started < 1.5 and ticker.ticks >= 20
    crowd = await asyncio.gather(*(store.retrieve(f"crowd-{n}") for n in range(60)), return_exceptions=True)
    assert all(isinstance(outcome, TrackerStoreUnavailable) for outcome in crowd)
    started = time.monotonic()
    report = await tracker_store_health(probe=True)
    mine = next(s for s in report["stores"] if s["store"] == store.health.name)
    assert time.monotonic() - started < 3 and mine["status"] == "failing"
    ticker.task.cancel()
    proxy.resume()
    deadline = time.monotonic() + 10
    while (store.calls.running or row_count(store, "alice") < 3) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # the held calls end (the stuck connects after their timeout), the held save lands late
    assert store.calls.running == 0
    await store.save(tracker)
    assert row_count(store, "alice") == 3
    assert await store.probe() and [e.text for e in list((await store.retrieve("alice")).events)[1:]] == ["你好", "补办要多久"]
    store.engine.dispose()


def test_a_starting_store_gives_up_on_a_silent_database_after_its_connect_timeout() -> None:
    """A server that accepts and never answers: the first connection fails after the connect timeout, not never."""
    silent = StallingProxy()
    threading.Timer(WATCHDOG_S, silent.close).start()
    started = time.monotonic()
    with pytest.raises(sa.exc.OperationalError):
        ObservedSQLTrackerStore(domain=Domain.empty(), host=f"postgresql://postgres@127.0.0.1:{silent.port}/x",
                                startup_wait_s=0, timeout_s=1.0)
    assert time.monotonic() - started < 4


def test_postgresql_cancels_a_statement_that_outlives_the_bound(pg_database: str) -> None:
    """The statement timeout frees the database and the connection even when the caller stopped waiting."""
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=f"postgresql://postgres@127.0.0.1:5432/{pg_database}",
                                    timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(sa.exc.OperationalError, match="statement timeout"), store.engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_sleep(3)"))
    assert time.monotonic() - started < 2
    store.engine.dispose()


async def test_an_in_memory_sqlite_database_is_the_same_for_every_call(tmp_path: Path) -> None:
    """`sqlite://` (as Rasa's SQL store allows) keeps one database although the calls run off the event loop."""
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host="sqlite://")
    await store.save(tracker_with("erin", "你好"))
    assert [e.text for e in list((await store.retrieve("erin")).events)[1:]] == ["你好"] and await store.probe()


def test_the_lock_store_gives_up_on_a_redis_that_never_answers() -> None:
    """Redis accepts and stays silent: taking a ticket fails with Rasa's LockError within a second, not ten."""
    silent = StallingProxy()
    threading.Timer(WATCHDOG_S + 5, silent.close).start()
    store = AtomicRedisLockStore(host="127.0.0.1", port=silent.port, db=1)
    started = time.monotonic()
    with pytest.raises(LockError):
        store.issue_ticket("alice", 30)
    assert time.monotonic() - started < 1.5


def test_the_lock_store_gives_up_on_a_redis_it_cannot_reach() -> None:
    """The connection is never established (full accept queue): the connect timeout ends the wait."""
    unreachable = FullAcceptQueue()
    try:
        store = AtomicRedisLockStore(host="127.0.0.1", port=unreachable.port, db=1)
        started = time.monotonic()
        with pytest.raises(LockError):
            store.issue_ticket("bob", 30)
        assert time.monotonic() - started < 1.5
    finally:
        unreachable.close()
