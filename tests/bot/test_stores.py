"""The observed SQL tracker store: failures are logged at ERROR without personal data and shown by health."""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import ConnectionException
from rasa.utils.endpoints import EndpointConfig

from bot.stores import (
    AtomicRedisLockStore,
    BoundedInMemoryTrackerStore,
    ObservedSQLTrackerStore,
    StoredCounts,
    StoreHealth,
    TrackerStoreUnavailable,
    describe_error,
    observed_stores,
    summarize,
    tracker_store_health,
)
from reissue.parsing.id_number import check_digit

BODY = "37010219880512003"
ID_NUMBER = BODY + check_digit(BODY)


@pytest.fixture
def store(tmp_path: Path) -> ObservedSQLTrackerStore:
    """An observed store on a fresh SQLite file."""
    return ObservedSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{tmp_path / 'trackers.db'}")


def tracker_with(sender: str, text: str) -> DialogueStateTracker:
    """A tracker holding one user message."""
    tracker = DialogueStateTracker(sender, [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}))
    return tracker


def break_store(store: ObservedSQLTrackerStore) -> None:
    """Make every query fail: the events table disappears."""
    with store.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE events RENAME TO events_gone"))


def repair_store(store: ObservedSQLTrackerStore) -> None:
    """Bring the events table back."""
    with store.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE events_gone RENAME TO events"))


async def test_saves_and_retrieves_like_the_sql_store(store: ObservedSQLTrackerStore) -> None:
    """Working store: events round-trip in order and health stays ok."""
    await store.save(tracker_with("alice", "你好"))
    tracker = await store.retrieve("alice")
    assert [type(e).__name__ for e in tracker.events] == ["ActionExecuted", "UserUttered"]
    assert await store.keys() == ["alice"]
    assert store.health.snapshot()["status"] == "ok" and store.health.failures == 0


def row_count(store: ObservedSQLTrackerStore, sender: str) -> int:
    """How many event rows the database holds for `sender`."""
    with store.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()


async def test_saving_one_retrieved_tracker_twice_appends_each_event_once(store: ObservedSQLTrackerStore) -> None:
    """Rasa saves the tracker it retrieved twice per message: the known count finds the new events."""
    await store.save(tracker_with("bob", "你好"))
    tracker = await store.retrieve("bob")
    assert store.stored.known(tracker) == 2
    tracker.update(UserUttered("补办要钱吗", {"name": "faq", "confidence": 1.0}))
    await store.save(tracker)
    tracker.update(ActionExecuted("utter_faq"))
    await store.save(tracker)
    await store.save(tracker)
    assert row_count(store, "bob") == 4
    again = await store.retrieve("bob")
    assert [type(e).__name__ for e in again.events] == ["ActionExecuted", "UserUttered", "UserUttered", "ActionExecuted"]


async def test_a_tracker_this_store_never_loaded_is_diffed_against_the_database(store: ObservedSQLTrackerStore) -> None:
    """A copy (another object) falls back to counting rows, so nothing is written twice."""
    await store.save(tracker_with("carol", "你好"))
    loaded = await store.retrieve("carol")
    copy = loaded.copy()
    assert store.stored.known(copy) is None
    copy.update(ActionExecuted("utter_greet"))
    await store.save(copy)
    assert row_count(store, "carol") == 3


def test_stored_counts_forget_trackers_that_are_gone() -> None:
    """Entries are weak: a tracker that is garbage collected leaves nothing behind."""
    counts = StoredCounts()
    tracker = tracker_with("dave", "你好")
    counts.remember(tracker)
    assert counts.known(tracker) == 2 and len(counts) == 1
    del tracker
    assert len(counts) == 0


async def test_failure_is_logged_at_error_without_personal_data(
    store: ObservedSQLTrackerStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing save raises a log-safe error and logs loudly; the ID number typed by the user is absent."""
    break_store(store)
    with caplog.at_level(logging.ERROR, logger="bot.stores"), pytest.raises(TrackerStoreUnavailable) as raised:
        await store.save(tracker_with("bob", f"我的身份证号是{ID_NUMBER}"))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "TRACKER STORE FAILURE" in errors[0].getMessage()
    assert "save" in errors[0].getMessage()
    assert ID_NUMBER not in caplog.text and ID_NUMBER not in str(raised.value)
    assert "[SQL:" not in str(raised.value)
    snapshot = store.health.snapshot()
    assert snapshot["status"] == "failing" and snapshot["failures"] == 1 and snapshot["last_operation"] == "save"


async def test_a_failed_call_marks_the_turn_being_handled_and_no_other(store: ObservedSQLTrackerStore) -> None:
    """Inside a watched turn a failing call marks that turn; a turn that only succeeds, or one outside, is unmarked."""
    from bot.stores import watched_turn

    with watched_turn() as kept:
        await store.save(tracker_with("carol", "你好"))
    break_store(store)
    with watched_turn() as lost, pytest.raises(TrackerStoreUnavailable):
        await store.save(tracker_with("carol", "确认提交"))
    with pytest.raises(TrackerStoreUnavailable):
        await store.save(tracker_with("carol", "确认提交"))  # no turn watched: nothing to mark, nothing raised by it
    assert not kept.store_failed and lost.store_failed


async def test_fail_safe_wrapper_no_longer_hides_the_failure(
    store: ObservedSQLTrackerStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind Rasa's FailSafeTrackerStore the conversation falls back to memory, but health says failing."""
    fail_safe = FailSafeTrackerStore(store)
    break_store(store)
    with caplog.at_level(logging.ERROR):
        assert await fail_safe.retrieve("carol") is None
        await fail_safe.save(tracker_with("carol", "补办要登报吗"))
    assert "TRACKER STORE FAILURE" in caplog.text
    assert store in observed_stores()
    report = await tracker_store_health(probe=True)
    mine = [s for s in report["stores"] if s["store"] == store.health.name]
    assert report["status"] == "failing" and mine[0]["status"] == "failing"


async def test_recovery_is_seen_by_the_probe_and_reported_as_degraded(store: ObservedSQLTrackerStore) -> None:
    """After repair the probe succeeds; the recent failure keeps the store 'degraded', not 'ok'."""
    break_store(store)
    assert await store.probe() is False
    assert store.health.status() == "failing"
    repair_store(store)
    assert await store.probe() is True
    assert store.health.status() == "degraded"
    assert store.health.status(now=store.health.last_failure_at + 10_000) == "ok"
    await store.save(tracker_with("dave", "你好"))
    assert (await store.retrieve("dave")).sender_id == "dave"


class RecordingBroker(EventBroker):
    """An event broker that keeps what it is given."""

    def __init__(self) -> None:
        """Nothing published yet."""
        self.published: List[dict] = []

    def publish(self, event: dict) -> None:
        """Keep the event."""
        self.published.append(event)


async def test_each_new_event_is_streamed_to_the_event_broker_once(tmp_path: Path) -> None:
    """Saving the same tracker again publishes only what was added since, with the sender id."""
    broker = RecordingBroker()
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{tmp_path / 'trackers.db'}", event_broker=broker)
    tracker = tracker_with("erin", "你好")
    await store.save(tracker)
    await store.save(tracker)
    tracker.update(ActionExecuted("utter_greet"))
    await store.save(tracker)
    assert [(e["sender_id"], e["event"]) for e in broker.published] == [("erin", "action"), ("erin", "user"), ("erin", "action")]
    assert broker.published[-1]["name"] == "utter_greet"


async def a_conversation_saved_like_rasa(store: TrackerStore) -> List[tuple]:
    """Two messages as Rasa handles them (retrieve, add events, save twice); what the broker got, in order."""
    tracker = tracker_with("frank", "你好")
    await store.save(tracker)
    for text in ("补办要钱吗", "要多久"):
        tracker = await store.retrieve("frank")
        tracker.update(UserUttered(text, {"name": "faq", "confidence": 1.0}))
        await store.save(tracker)
        tracker.update(ActionExecuted("action_answer_plan"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
    return [(e["sender_id"], e["event"], e.get("text") or e.get("name")) for e in store.event_broker.published]


@pytest.mark.parametrize("ours, rasas", [
    (lambda path, broker: BoundedInMemoryTrackerStore(domain=Domain.empty(), event_broker=broker),
     lambda path, broker: InMemoryTrackerStore(Domain.empty(), event_broker=broker)),
    (lambda path, broker: ObservedSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{path / 'ours.db'}",
                                                  event_broker=broker),
     lambda path, broker: InMemoryTrackerStore(Domain.empty(), event_broker=broker)),
])
async def test_the_broker_gets_what_rasa_streams_without_a_re_read_per_save(tmp_path: Path, ours, rasas,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa re-reads the stored conversation on every save to find the new events; the count known here spares it."""
    store = ours(tmp_path, RecordingBroker())
    reads: List[str] = []
    retrieve = store.retrieve

    async def counted(sender_id: str):
        reads.append(sender_id)
        return await retrieve(sender_id)

    monkeypatch.setattr(store, "retrieve", counted)
    published = await a_conversation_saved_like_rasa(store)
    assert published == await a_conversation_saved_like_rasa(rasas(tmp_path, RecordingBroker()))
    assert len(published) == 8 and published[2] == ("frank", "user", "补办要钱吗")
    assert len(reads) == 1 + 2  # the first save of a new tracker diffs as Rasa does; then one retrieve per message


def test_a_starting_store_waits_for_its_database(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The database cannot be opened at first (its folder appears 0.3 s later): the store waits, then works."""
    folder = tmp_path / "later"
    timer = threading.Timer(0.3, folder.mkdir)
    timer.start()
    with caplog.at_level(logging.WARNING, logger="bot.stores"):
        store = ObservedSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{folder / 'trackers.db'}", startup_wait_s=20)
    timer.join()
    assert "database not ready" in caplog.text and store.ping() is None


def test_a_database_that_never_comes_stops_rasa_from_starting(tmp_path: Path) -> None:
    """After `startup_wait_s` Rasa's factory reports that it cannot connect, instead of waiting for ever."""
    config = EndpointConfig(url=f"sqlite:///{tmp_path / 'missing' / 'trackers.db'}",
                            type="bot.stores.ObservedSQLTrackerStore", startup_wait_s="0.2")
    started = time.monotonic()
    with pytest.raises(ConnectionException, match="Cannot connect to tracker store"):
        TrackerStore.create(config, domain=Domain.empty())
    assert time.monotonic() - started < 5


def test_describe_error_drops_sql_and_parameters() -> None:
    """SQLAlchemy's message carries the statement and parameters; only the first line's cause is kept."""
    error = sa.exc.OperationalError("INSERT INTO events VALUES (?)", (f"{ID_NUMBER} 13800138000",), Exception("boom"))
    text = describe_error(error)
    assert text == "Exception: boom"
    plain = describe_error(ValueError(f"bad value {ID_NUMBER} from 13800138000"))
    assert ID_NUMBER not in plain and "13800138000" not in plain and plain.startswith("ValueError: bad value")


def test_summarize_reports_the_worst_status_and_memory_when_no_store() -> None:
    """No observed store means Rasa's in-memory store; the worst store decides the overall status."""
    assert "in-memory" in summarize([])["tracker_store"]
    ok, failing = StoreHealth("a").snapshot(), StoreHealth("b")
    failing.record_failure("save", RuntimeError("x"))
    assert summarize([ok, failing.snapshot()])["status"] == "failing"
    assert summarize([ok])["status"] == "ok"


def test_scaled_endpoints_name_this_store_and_expand_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """config/scaled/endpoints.yml: the observed store, the Redis lock store, the action URL — all from the env."""
    from rasa.core.utils import AvailableEndpoints

    values = {"ACTION_PORT": "15055", "TRACKER_STORE_URL": "postgresql://postgres@127.0.0.1:5432/x",
              "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": "1", "LOCK_KEY_PREFIX": "abc"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    root = Path(__file__).resolve().parents[2]
    endpoints = AvailableEndpoints.read_endpoints(str(root / "config" / "scaled" / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:15055/webhook"
    assert endpoints.tracker_store.type == "bot.stores.ObservedSQLTrackerStore"
    assert endpoints.tracker_store.url == values["TRACKER_STORE_URL"]
    assert endpoints.lock_store.type == "bot.stores.AtomicRedisLockStore" and endpoints.lock_store.url == "127.0.0.1"
    assert endpoints.lock_store.kwargs == {"port": "6379", "db": "1", "key_prefix": "abc"}


def test_atomic_lock_store_never_hands_out_a_ticket_twice() -> None:
    """Two stores (two processes) issuing 2×40 tickets at once on real Redis: 80 distinct tickets, all kept."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import redis

    from bot.stores import AtomicRedisLockStore

    prefix = f"t{uuid.uuid4().hex[:10]}"
    config = EndpointConfig(url="127.0.0.1", type="bot.stores.AtomicRedisLockStore", port=6379, db=1, key_prefix=prefix)
    stores = [AtomicRedisLockStore(endpoint_config=config), AtomicRedisLockStore(endpoint_config=config)]
    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda i: stores[i % 2].issue_ticket("alice", 60), range(80)))
    assert sorted(tickets) == list(range(80))
    lock = stores[0].get_lock("alice")
    assert lock is not None and len(lock.tickets) == 80 and lock.is_locked(1) and not lock.is_locked(0)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda t: stores[t % 2].cleanup("alice", t), tickets))
    assert stores[1].get_lock("alice") is None
    assert not list(redis.Redis(host="127.0.0.1", port=6379, db=1).scan_iter(f"{prefix}*"))


@pytest.fixture
def lock_stores() -> Iterator[List["AtomicRedisLockStore"]]:
    """Two atomic lock stores (two processes) on the real Redis, with a fresh key prefix, cleaned afterwards."""
    import uuid

    import redis

    from bot.stores import AtomicRedisLockStore

    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield [AtomicRedisLockStore(host="127.0.0.1", port=6379, db=1, key_prefix=prefix) for _ in range(2)]
    client = redis.Redis(host="127.0.0.1", port=6379, db=1)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_atomic_lock_is_stored_in_rasas_format(lock_stores: List["AtomicRedisLockStore"]) -> None:
    """Rasa's own RedisLockStore reads the lock the script wrote: same id (quotes, Chinese), same tickets."""
    from rasa.core.lock_store import RedisLockStore

    ours = lock_stores[0]
    sender = 'wx:张三 "quoted"/1'
    assert [ours.issue_ticket(sender, 30), ours.issue_ticket(sender, 30)] == [0, 1]
    stock = RedisLockStore(host="127.0.0.1", port=6379, db=1)
    stock.key_prefix = ours.key_prefix
    lock = stock.get_lock(sender)
    assert lock.conversation_id == sender and [t.number for t in lock.tickets] == [0, 1]
    assert all(time.time() + 25 < t.expires <= time.time() + 30 for t in lock.tickets)
    assert lock.now_serving == 0 and lock.is_locked(1)


def test_atomic_lock_drops_expired_tickets_like_rasa(lock_stores: List["AtomicRedisLockStore"]) -> None:
    """An expired ticket stops blocking; with none left, numbering restarts at 0 as in TicketLock."""
    store = lock_stores[0]
    assert store.issue_ticket("erin", 0.05) == 0
    time.sleep(0.1)
    assert store.issue_ticket("erin", 30) == 0
    assert store.issue_ticket("erin", 30) == 1
    store.finish_serving("erin", 0)
    lock = store.get_lock("erin")
    assert [t.number for t in lock.tickets] == [1] and not lock.is_locked(1)
    store.issue_ticket("frank", 0.05)
    time.sleep(0.1)
    store.update_lock("frank")
    assert store.get_lock("frank").tickets == deque()


def test_atomic_lock_cleanup_deletes_only_an_idle_lock(lock_stores: List["AtomicRedisLockStore"]) -> None:
    """Cleanup keeps the lock while someone waits and deletes it after the last ticket; missing locks stay missing."""
    store = lock_stores[0]
    first, second = store.issue_ticket("gina", 30), store.issue_ticket("gina", 30)
    store.cleanup("gina", first)
    assert [t.number for t in store.get_lock("gina").tickets] == [second]
    store.cleanup("gina", second)
    assert store.get_lock("gina") is None
    store.cleanup("nobody", 0)
    store.update_lock("nobody")
    assert store.get_lock("nobody") is None


async def test_atomic_lock_serves_one_sender_at_a_time_across_stores(lock_stores: List["AtomicRedisLockStore"]) -> None:
    """Rasa's lock() context over two stores: 12 concurrent holders of one sender never overlap."""
    import asyncio

    inside, overlaps = 0, 0

    async def hold(store: "AtomicRedisLockStore") -> None:
        """Take the sender's lock, stay a moment, release it."""
        nonlocal inside, overlaps
        async with store.lock("hana", wait_time_in_seconds=0.01):
            inside += 1
            overlaps += inside > 1
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(hold(lock_stores[i % 2]) for i in range(12)))
    assert overlaps == 0 and lock_stores[0].get_lock("hana") is None


def test_atomic_lock_hands_out_no_ticket_to_a_request_that_reached_redis_too_late(
        lock_stores: List["AtomicRedisLockStore"], monkeypatch: pytest.MonkeyPatch) -> None:
    """A ticket request held up (a frozen Redis, thawed) arrives after its caller gave up: refused, the lock stays free."""
    from rasa.core.lock_store import LockError

    import bot.stores as stores

    store = lock_stores[0]
    monkeypatch.setattr(stores, "STALE_TICKET_S", -1.0)  # as if the request took longer than the margin to arrive
    with pytest.raises(LockError):
        store.issue_ticket("grace", 30)
    assert store.get_lock("grace") is None
    monkeypatch.setattr(stores, "STALE_TICKET_S", 10.0)
    assert store.issue_ticket("grace", 30) == 0


async def test_lock_store_health_pings_redis_within_its_deadline() -> None:
    """The real Redis answers; a port nobody listens on fails within the deadline; an in-memory lock store is fine."""
    import socket

    from rasa.core.lock_store import InMemoryLockStore

    from bot.stores import AtomicRedisLockStore, lock_store_health

    assert (await lock_store_health(AtomicRedisLockStore(host="127.0.0.1", port=6379, db=1)))["status"] == "ok"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    started = time.monotonic()
    report = await lock_store_health(AtomicRedisLockStore(host="127.0.0.1", port=closed, db=1), timeout_s=1.0)
    assert report["status"] == "failing" and time.monotonic() - started < 1.5
    assert (await lock_store_health(InMemoryLockStore()))["status"] == "ok"
