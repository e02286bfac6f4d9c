"""Stores for Rasa: tracker stores that keep no plaintext personal data and never block or fail silently, an atomic lock store.

Rasa wraps every tracker store in `FailSafeTrackerStore`, which falls back to an in-memory store when the
real one fails: conversations then live in one process only and vanish on restart, with one log line.
`ObservedSQLTrackerStore` (use it as `tracker_store.type: bot.stores.ObservedSQLTrackerStore`, with the
settings of Rasa's `sql` store) keeps conversations in Rasa's `events` table through Rasa's public
`TrackerStore` interface only, the `data` column sealed under TRACKER_STORE_KEY; every call runs off the event
loop within TRACKER_STORE_TIMEOUT; it records each failure, logs it loudly without personal data, and
`tracker_store_health()` reports it, probing the database, for `GET /webhooks/rest/health`.
`BoundedInMemoryTrackerStore` (the embedded default) holds at most TRACKER_MEMORY_MAX_CONVERSATIONS and forgets
conversations idle longer than TRACKER_RETENTION_DAYS. `AtomicRedisLockStore` (`lock_store.type:
bot.stores.AtomicRedisLockStore`) changes Redis ticket locks atomically inside Redis (a Lua script), so two
processes can never serve one sender at the same time, and gives up on a silent Redis after REDIS_TIMEOUT.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import queue
import threading
import time
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Text, Tuple, TypeVar, Union
from urllib.parse import urlsplit

import sqlalchemy as sa
import tenacity
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    SerializedTrackerAsText,
    TrackerStore,
    create_engine_kwargs,
    validate_port,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.utils.endpoints import EndpointConfig

from reissue.masking import scrub
from reissue.sealing import seal, unseal
from reissue.settings import get_settings

logger = logging.getLogger(__name__)
T = TypeVar("T")
RECENT_S = 300.0  # failures younger than this keep the health check "degraded" after recovery
PROBE_TIMEOUT_S = 2.0  # the health route answers within 3 s even when the database never does
STARTUP_WAIT_S = 60.0  # how long a starting store waits for the database before Rasa gives up
# A ticket request reaching Redis this long after it was made is refused: its caller has long given up (a margin
# well above REDIS_TIMEOUT, so that clocks a few seconds apart between Rasa and Redis hosts do no harm).
STALE_TICKET_S = 10.0
MAX_WAITING_CALLS = 32  # calls past their deadline still holding a thread; beyond, new calls fail at once
SEAL_CONTEXT = b"tracker-store-events"
DAY_S = 86400.0


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store failed; the message is safe to log (no SQL parameters, no personal data)."""


def describe_error(error: BaseException, limit: int = 200) -> str:
    """A short, log-safe description of a database error: class and first line, personal numbers masked."""
    original = getattr(error, "orig", None) or error
    first_line = (str(original).strip().splitlines() or [""])[0]
    # SQLAlchemy appends "[SQL: …] [parameters: …]" — the parameters hold conversation events.
    first_line = first_line.split("[SQL:")[0].split("[parameters:")[0].strip()
    return f"{type(original).__name__}: {scrub(first_line)[:limit]}".rstrip(": ")


@dataclass
class StoreHealth:
    """Failure counters of one tracker store, safe to read from any thread."""

    name: str
    failures: int = 0
    consecutive_failures: int = 0
    last_error: Optional[str] = None
    last_operation: Optional[str] = None
    last_failure_at: Optional[float] = None
    last_success_at: Optional[float] = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_failure(self, operation: str, error: BaseException, now: Optional[float] = None) -> str:
        """Count a failure; return its log-safe description."""
        description = describe_error(error)
        with self.lock:
            self.failures += 1
            self.consecutive_failures += 1
            self.last_error, self.last_operation = description, operation
            self.last_failure_at = time.time() if now is None else now
        return description

    def record_success(self, now: Optional[float] = None) -> None:
        """Note that the store answered."""
        with self.lock:
            self.consecutive_failures = 0
            self.last_success_at = time.time() if now is None else now

    def status(self, now: Optional[float] = None) -> str:
        """"failing" while the last call failed, "degraded" for a while after a failure, else "ok"."""
        now = time.time() if now is None else now
        with self.lock:
            if self.consecutive_failures:
                return "failing"
            if self.last_failure_at is not None and now - self.last_failure_at < RECENT_S:
                return "degraded"
            return "ok"

    def snapshot(self, now: Optional[float] = None) -> Dict[str, Any]:
        """The counters as a JSON-ready dict."""
        status = self.status(now)
        with self.lock:
            return {
                "store": self.name, "status": status, "failures": self.failures,
                "consecutive_failures": self.consecutive_failures, "last_error": self.last_error,
                "last_operation": self.last_operation, "last_failure_at": self.last_failure_at,
                "last_success_at": self.last_success_at,
            }


@dataclass
class Turn:
    """What the tracker store did while one message was handled."""

    store_failed: bool = False


_TURN: ContextVar[Optional[Turn]] = ContextVar("reissue_turn", default=None)


@contextmanager
def watched_turn() -> Iterator[Turn]:
    """Watch the tracker store calls of one message's handling (the channel's task and everything it awaits): a
    failed call marks the turn, whose reply then came from a blank conversation behind Rasa's fail-safe store."""
    turn = Turn()
    token = _TURN.set(turn)
    try:
        yield turn
    finally:
        _TURN.reset(token)


def mark_store_failure() -> None:
    """Note in the message being handled, if any, that a tracker store call failed."""
    turn = _TURN.get()
    if turn is not None:
        turn.store_failed = True


@lru_cache(maxsize=1)
def _registry() -> "weakref.WeakSet[ObservedSQLTrackerStore]":
    """The observed tracker stores alive in this process."""
    return weakref.WeakSet()


def observed_stores() -> List["ObservedSQLTrackerStore"]:
    """Every observed tracker store of this process."""
    return list(_registry())


class StoredCounts:
    """How many of a tracker object's events are already in the database, for trackers this process loaded.

    Rasa's SQL store saves twice per message and each time counts the sender's rows (a query with a
    sub-query) to find the new events. The tracker it saves is the one it retrieved under the sender's
    lock, so the count is already known here: events after it are new. Keyed by object identity and held
    weakly, so copies and trackers from elsewhere fall back to counting in the database.
    """

    def __init__(self) -> None:
        """No tracker known yet."""
        self._counts: Dict[int, Tuple["weakref.ref[DialogueStateTracker]", int]] = {}

    def remember(self, tracker: DialogueStateTracker) -> None:
        """Every event `tracker` holds now is stored."""
        key = id(tracker)
        self._counts[key] = (weakref.ref(tracker, lambda _gone, key=key: self._counts.pop(key, None)), len(tracker.events))

    def known(self, tracker: DialogueStateTracker) -> Optional[int]:
        """How many of `tracker`'s events are stored, if this very object was loaded or saved here."""
        entry = self._counts.get(id(tracker))
        if entry is None or entry[0]() is not tracker:
            return None
        return entry[1]

    def forget(self, tracker: DialogueStateTracker) -> None:
        """The count of `tracker` is no longer certain (a failed save may still land): count in the database next time."""
        entry = self._counts.get(id(tracker))
        if entry is not None and entry[0]() is tracker:
            del self._counts[id(tracker)]

    def __len__(self) -> int:
        """How many trackers are known."""
        return len(self._counts)


class StreamsKnownEvents:
    """Rasa's `stream_events` without re-reading the conversation for every save.

    Rasa retrieves the stored tracker again to find what is new (with an event broker configured: twice per
    message, a full read and unseal of the latest session on the SQL store). When the store knows how many of this
    tracker object's events it holds (`StoredCounts`), the events after them are the new ones; otherwise Rasa's
    own diff runs. Mixed into a `TrackerStore` that keeps `self.stored`.
    """

    stored: StoredCounts
    event_broker: Optional[EventBroker]

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the events of `tracker` not stored yet, with its sender id, as Rasa does."""
        known = self.stored.known(tracker) if self.event_broker is not None else None
        if known is None:
            await super().stream_events(tracker)  # type: ignore[misc]
            return
        for event in list(tracker.events)[known:]:
            self.event_broker.publish({"sender_id": tracker.sender_id, **event.as_dict()})  # type: ignore[union-attr]


def is_plaintext(data: Text) -> bool:
    """Whether a `data` cell is an event's JSON as Rasa's store writes it (a sealed one is a Fernet token)."""
    return data.startswith("{")


@lru_cache(maxsize=20_000)
def opened(stored: Text, secret: Text, previous: Tuple[Text, ...]) -> Text:
    """A sealed cell's JSON. Cells never change (a new seal is a new token), so the last ones opened are kept in
    this process's memory, where the trackers are anyway: a turn reads its whole session, and opens only the new."""
    return unseal(stored, secret, SEAL_CONTEXT, previous=previous)


@dataclass(frozen=True)
class EventSealer:
    """Seals the `data` column (Fernet under TRACKER_STORE_KEY) and opens sealed cells and plaintext ones alike."""

    secret: str
    previous: Tuple[str, ...] = ()

    @classmethod
    def from_settings(cls) -> "EventSealer":
        """The sealer of TRACKER_STORE_KEY, opening also what TRACKER_STORE_KEY_PREVIOUS sealed (key rotation)."""
        settings = get_settings()
        return cls(settings.tracker_store_key, tuple(key for key in [settings.tracker_store_key_previous] if key))

    def seal(self, data: Text) -> Text:
        """An event's JSON as stored."""
        return seal(data, self.secret, SEAL_CONTEXT)

    def open(self, stored: Text) -> Text:
        """An event's JSON from its cell: unsealed, or as it is when it was written in plaintext (by Rasa's store)."""
        return stored if is_plaintext(stored) else opened(stored, self.secret, self.previous)


def event_row(sender_id: Text, event: Event, sealer: EventSealer) -> Dict[str, Any]:
    """The `events` table row of one event, with the columns Rasa's SQL store writes; `data` sealed."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": sealer.seal(json.dumps(data)),
    }


# Rasa's `events` table (`SQLTrackerStore.SQLEvent`) column for column, so Rasa's own store reads it and
# databases it created keep working. The optional sequence gives ids on databases without autoincrement (Oracle).
EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, sa.Sequence("events_seq", optional=True), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass(frozen=True)
class EventQueries:
    """Rasa's event queries as SQLAlchemy Core statements (compiled once and cached by SQLAlchemy)."""

    latest_session: Any
    all_sessions: Any
    count_latest_session: Any
    senders: Any
    insert: Any
    expired: Any
    delete: Any
    plaintext: Any
    reseal: Any

    @classmethod
    def for_table(cls, table: sa.Table) -> "EventQueries":
        """The statements on `table`: events of the latest session (or every event) in insertion order; retention."""
        of_sender = table.c.sender_id == sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(of_sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_latest_session = sa.and_(of_sender, sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))
        same_sender = table.alias("same_sender")
        of_row_sender = same_sender.c.sender_id == table.c.sender_id
        last_event = sa.select(sa.func.max(same_sender.c.timestamp)).where(of_row_sender).scalar_subquery()
        latest_start = (
            sa.select(sa.func.max(same_sender.c.timestamp))
            .where(of_row_sender, same_sender.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        cutoff = sa.bindparam("cutoff")
        return cls(
            latest_session=sa.select(table.c.data).where(in_latest_session).order_by(table.c.id),
            all_sessions=sa.select(table.c.data).where(of_sender).order_by(table.c.id),
            count_latest_session=sa.select(sa.func.count()).select_from(table).where(in_latest_session),
            senders=sa.select(table.c.sender_id).distinct(),
            insert=table.insert(),
            # older than the cutoff, and the conversation idle since, or the row before its latest session
            expired=sa.select(table.c.id)
            .where(table.c.timestamp < cutoff, sa.or_(last_event < cutoff, table.c.timestamp < latest_start))
            .order_by(table.c.id),
            delete=table.delete().where(table.c.id.in_(sa.bindparam("ids", expanding=True))),
            plaintext=sa.select(table.c.id, table.c.data).where(table.c.data.like("{%")).order_by(table.c.id),
            reseal=table.update().where(table.c.id == sa.bindparam("row_id")).values(data=sa.bindparam("sealed")),
        )


QUERIES = EventQueries.for_table(EVENTS)


def database_url(
    dialect: Text, host: Optional[Text], port: Union[int, Text, None], db: Text,
    username: Optional[Text], password: Optional[Text], query: Optional[Dict[Text, Any]],
) -> sa.engine.URL:
    """The URL from Rasa's SQL store settings: `host` is a full SQLAlchemy URL or "host[:port]" with the rest."""
    if host and "://" in host:
        return sa.engine.make_url(host)
    if host:
        parsed = urlsplit(f"scheme://{host}")
        host, port = parsed.hostname or host, parsed.port or port
    return sa.engine.URL.create(dialect, username, password, host, validate_port(port), db, query or {})


def engine_kwargs(url: sa.engine.URL, timeout_s: float) -> Dict[str, Any]:
    """Rasa's engine settings for `url` with deadlines: on PostgreSQL (psycopg2) a connect timeout, a statement
    timeout and TCP keepalives; pooled connections pre-pinged; an in-memory SQLite database shared by every thread."""
    kwargs = {**create_engine_kwargs(url.drivername), "pool_pre_ping": True}
    if url.drivername in ("postgresql", "postgresql+psycopg2"):
        connect_args = dict(kwargs.get("connect_args", {}))
        options = f"{connect_args.get('options', '')} -c statement_timeout={round(timeout_s * 1000)}".strip()
        connect_args.update(options=options, connect_timeout=max(2, math.ceil(timeout_s)),  # libpq's minimum is 2 s
                            keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
        kwargs.update(connect_args=connect_args, pool_timeout=timeout_s)
    elif url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        kwargs.update(poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    return kwargs


def create_database(login_url: sa.engine.URL, name: Text, timeout_s: float) -> None:
    """Create the PostgreSQL database `name` through `login_url` unless it exists (another process may win the race)."""
    connect_args = engine_kwargs(login_url, timeout_s).get("connect_args", {})
    engine = sa.create_engine(login_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT 1 FROM pg_catalog.pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                connection.execute(sa.text(f"CREATE DATABASE {engine.dialect.identifier_preparer.quote(name)}"))
    except (sa.exc.ProgrammingError, sa.exc.IntegrityError) as error:
        logger.warning("tracker store: could not create database %s: %s", name, describe_error(error))
    finally:
        engine.dispose()


def create_table(engine: sa.engine.Engine) -> None:
    """Create the `events` table unless it exists; refused DDL is logged, as Rasa does, and left to fail loudly later."""
    try:
        EVENTS.metadata.create_all(engine)
    except sa.exc.ProgrammingError as error:
        logger.error("tracker store: could not create the events table: %s", describe_error(error))


def log_wait(state: tenacity.RetryCallState) -> None:
    """Log (without SQL or parameters) that the database is not ready and when the next attempt comes."""
    error = state.outcome.exception() if state.outcome else None
    pause = state.next_action.sleep if state.next_action else 0.0
    logger.warning("tracker store: database not ready (%s), attempt %d, next in %.1f s",
                   describe_error(error) if error else "?", state.attempt_number, pause)


class OffLoopCalls:
    """Runs blocking database calls on a few daemon threads, each awaited by the event loop for at most its deadline.

    A call past its deadline keeps its thread until the database answers (a stopped PostgreSQL holds it for as
    long as it is stopped), and a new thread is started whenever every thread is busy; while `limit` calls are
    unfinished, new ones fail at once instead of piling up threads. The threads are daemons, so a process can
    always exit.
    """

    def __init__(self, limit: int = MAX_WAITING_CALLS) -> None:
        """No call running yet, no thread started."""
        self.limit = limit
        self.running = 0  # calls handed to the threads whose outcome the loop has not received yet
        self.threads = 0
        self.jobs: "queue.SimpleQueue[Callable[[], None]]" = queue.SimpleQueue()

    def _work(self) -> None:
        """A thread's life: take the next call and make it, for ever."""
        while True:
            self.jobs.get()()

    async def run(self, work: Callable[[], T], timeout_s: float) -> T:
        """The result of `work()` made on a thread; TimeoutError when it does not come within `timeout_s`."""
        if self.running >= self.limit:
            raise TimeoutError(f"no answer: {self.running} calls still wait for the database")
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[T]" = loop.create_future()

        def settle(result: Any, error: Optional[Exception]) -> None:
            """On the loop: count the call as done and hand over its outcome unless its caller gave up."""
            self.running -= 1
            if not future.done():
                future.set_result(result) if error is None else future.set_exception(error)

        def call() -> None:
            """On the thread: do the work, then report to the loop (if it still runs)."""
            result: Any = None
            error: Optional[Exception] = None
            try:
                result = work()
            except Exception as failure:  # noqa: BLE001 - handed to the caller
                error = failure
            try:
                loop.call_soon_threadsafe(settle, result, error)
            except RuntimeError:  # the loop is closed: nobody waits for this any more
                pass

        self.running += 1
        if self.running > self.threads:  # every thread is busy (or stuck): one more, never more than `limit`
            self.threads += 1
            threading.Thread(target=self._work, name="tracker-store-call", daemon=True).start()
        self.jobs.put(call)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no answer within {timeout_s:g} s") from None


def wait_for_database(prepare: Callable[[], None], wait_s: float) -> None:
    """Run `prepare`, retrying while the database refuses connections (or two processes create the table at once).

    Rasa's SQL store retries every 5 s for ever while it cannot create its database; here the backoff is
    exponential (0.5 s growing to 5 s, with jitter) and lasts at most `wait_s`, then the last error is raised.
    """
    tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((sa.exc.OperationalError, sa.exc.IntegrityError)),
        wait=tenacity.wait_exponential_jitter(initial=0.5, max=5.0, jitter=0.5),
        stop=tenacity.stop_after_delay(wait_s),
        before_sleep=log_wait,
        reraise=True,
    )(prepare)


class ObservedSQLTrackerStore(StreamsKnownEvents, TrackerStore, SerializedTrackerAsText):
    """A SQL tracker store on Rasa's `events` table, its `data` sealed, every call bounded, every failure logged and counted.

    Built on Rasa's public `TrackerStore` interface only (its own SQLAlchemy Core engine and table), it takes
    the endpoints.yml settings of Rasa's `sql` store and writes that store's table and rows, except that the
    `data` column (the event's JSON: texts, slot values) is sealed under TRACKER_STORE_KEY: it reads databases
    of Rasa's store (plaintext rows stay readable), Rasa's store cannot read the sealed events. Each call runs on
    a thread, off the event loop, within TRACKER_STORE_TIMEOUT (`timeout_s`), so a database that stops answering
    costs a call that long and never blocks the loop. Compared with Rasa's store it reads with Core queries instead of
    ORM objects, appends a save's new events in one batch, and skips the row count for trackers it loaded itself.
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        dialect: Text = "sqlite",
        host: Optional[Text] = None,
        port: Union[int, Text, None] = None,
        db: Text = "rasa.db",
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        login_db: Optional[Text] = None,
        query: Optional[Dict[Text, Any]] = None,
        startup_wait_s: float = STARTUP_WAIT_S,
        timeout_s: Union[float, Text, None] = None,
        **kwargs: Any,
    ) -> None:
        """Connect with Rasa's SQL store settings (`login_db`: create `db` through it), waiting for the database;
        each call gets `timeout_s` (default TRACKER_STORE_TIMEOUT)."""
        super().__init__(domain, event_broker, **kwargs)
        self.timeout_s = float(timeout_s or get_settings().tracker_store_timeout_s)
        url = database_url(dialect, host, port, db, username, password, query)
        if login_db and url.get_backend_name() != "postgresql":
            logger.warning("tracker store: login_db is only used with PostgreSQL; connecting to %s directly", db)
            login_db = None
        login_url: Optional[sa.engine.URL] = None
        if login_db:
            url, login_url = url.set(database=db), url.set(database=login_db)
        self.engine = sa.create_engine(url, **engine_kwargs(url, self.timeout_s))

        def prepare() -> None:
            """Create the database (when asked to) and the table."""
            if login_url is not None:
                create_database(login_url, db, self.timeout_s)
            create_table(self.engine)

        wait_for_database(prepare, float(startup_wait_s))
        self.sealer = EventSealer.from_settings()
        self.calls = OffLoopCalls()
        self.stored = StoredCounts()
        self.health = StoreHealth(name=f"sql:{url.get_backend_name()}/{url.database}")
        _registry().add(self)
        logger.info("tracker store: %s (observed)", self.health.name)

    async def _observed(self, operation: str, work: Callable[[], T]) -> T:
        """Run one blocking store call off the event loop within the deadline; on failure log loudly, count it and
        raise a log-safe error."""
        try:
            result = await self.calls.run(work, self.timeout_s)
        except Exception as error:  # noqa: BLE001 - every failure must be seen
            description = self.health.record_failure(operation, error)
            mark_store_failure()
            logger.error(
                "TRACKER STORE FAILURE (%s on %s, %d in a row, %d in all): %s — Rasa now keeps this "
                "conversation in process memory only; it is lost on restart and invisible to the other "
                "processes until the database answers again",
                operation, self.health.name, self.health.consecutive_failures, self.health.failures, description,
            )
            raise TrackerStoreUnavailable(f"{operation} failed: {description}") from None
        self.health.record_success()
        return result

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of the latest session (None when the sender has no events), observed."""
        tracker = await self._observed("retrieve", lambda: self._read(sender_id, QUERIES.latest_session))
        if tracker is not None:
            self.stored.remember(tracker)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of every session, observed."""
        return await self._observed("retrieve_full_tracker", lambda: self._read(conversation_id, QUERIES.all_sessions))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stream the tracker's new events to the event broker and append them to the table, observed."""
        await self.stream_events(tracker)
        events, known = list(tracker.events), self.stored.known(tracker)
        try:
            await self._observed("save", lambda: self._append(tracker.sender_id, events, known))
        except TrackerStoreUnavailable:
            self.stored.forget(tracker)
            raise
        self.stored.remember(tracker)

    async def keys(self) -> Iterable[Text]:
        """Every sender id, observed."""
        return await self._observed("keys", self._sender_ids)

    def _read(self, sender_id: Text, query: Any) -> Optional[DialogueStateTracker]:
        """The sender's events selected by `query` in one Core query, opened, as a tracker; None when there are none."""
        with self.engine.connect() as connection:
            rows = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        if not rows:
            return None
        events = [json.loads(self.sealer.open(data)) for data in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _append(self, sender_id: Text, events: List[Event], known: Optional[int]) -> None:
        """Insert the events not stored yet as one batch (one round trip on PostgreSQL): those after `known`, or
        when it is not known after the count of the latest session's rows.

        Rasa's own `save` adds one ORM object per event and flushes them one INSERT at a time; the rows are
        the same here but for the sealed data.
        """
        with self.engine.begin() as connection:
            if known is None:
                known = connection.execute(QUERIES.count_latest_session, {"sender_id": sender_id}).scalar()
            rows = [event_row(sender_id, event, self.sealer) for event in events[known:]]
            if rows:
                connection.execute(QUERIES.insert, rows)

    def _sender_ids(self) -> List[Text]:
        """Every sender id in the table."""
        with self.engine.connect() as connection:
            return list(connection.execute(QUERIES.senders).scalars())

    def delete_expired(self, cutoff: float, batch: int = 1000) -> int:
        """Delete the events older than `cutoff` (Unix time) unless they belong to the latest session of a
        conversation active since; how many were deleted. For the retention job, in batches."""
        deleted = 0
        while True:
            with self.engine.begin() as connection:
                ids = connection.execute(QUERIES.expired.limit(batch), {"cutoff": cutoff}).scalars().all()
                if ids:
                    connection.execute(QUERIES.delete, {"ids": ids})
            deleted += len(ids)
            if len(ids) < batch:
                return deleted

    def seal_plaintext(self, batch: int = 1000) -> int:
        """Seal in place the rows still in plaintext (written by Rasa's store or before sealing); how many."""
        sealed = 0
        while True:
            with self.engine.begin() as connection:
                rows = connection.execute(QUERIES.plaintext.limit(batch)).all()
                if rows:
                    connection.execute(QUERIES.reseal, [{"row_id": row_id, "sealed": self.sealer.seal(data)}
                                                        for row_id, data in rows])
            sealed += len(rows)
            if len(rows) < batch:
                return sealed

    def ping(self) -> None:
        """One round trip to the database (raises when it does not answer)."""
        with self.engine.connect() as connection:
            connection.execute(sa.select(sa.literal(1)).select_from(EVENTS).limit(1))

    async def probe(self, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
        """Ping the database now (off the loop, within `timeout_s`), counting a failure like any other; True when it answered."""
        try:
            await self.calls.run(self.ping, min(timeout_s, self.timeout_s))
        except Exception as error:  # noqa: BLE001
            description = self.health.record_failure("probe", error)
            logger.error("TRACKER STORE FAILURE (health probe on %s): %s", self.health.name, description)
            return False
        self.health.record_success()
        return True


class BoundedInMemoryTrackerStore(StreamsKnownEvents, InMemoryTrackerStore):
    """Rasa's in-memory tracker store with a bound: a flood of new sender ids cannot exhaust the memory.

    It holds at most `max_conversations` (TRACKER_MEMORY_MAX_CONVERSATIONS), forgetting the least recently saved
    conversation first, and forgets every conversation not saved for TRACKER_RETENTION_DAYS; a restart forgets all.
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        max_conversations: Union[int, Text, None] = None,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        """Rasa's in-memory store; the bound and the retention period from the settings unless given."""
        settings = get_settings()
        self.max_conversations = int(max_conversations or settings.tracker_memory_max_conversations)
        self.idle_s = settings.tracker_retention_days * DAY_S
        self.clock = clock
        self.saved_at: Dict[Text, float] = {}  # least recently saved first
        self.stored = StoredCounts()
        super().__init__(domain or Domain.empty(), event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the tracker as Rasa does, note it as the most recently saved, then apply the bound."""
        await super().save(tracker)
        self.stored.remember(tracker)
        self.saved_at.pop(tracker.sender_id, None)
        self.saved_at[tracker.sender_id] = self.clock()
        self.forget_surplus()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session, unless the conversation has been idle too long."""
        self.forget_surplus()
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self.stored.remember(tracker)
        return tracker

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """Every session, unless the conversation has been idle too long."""
        self.forget_surplus()
        return await super().retrieve_full_tracker(sender_id)

    async def keys(self) -> Iterable[Text]:
        """The sender ids still held."""
        self.forget_surplus()
        return list(self.store)

    def forget_surplus(self) -> int:
        """Forget, least recently saved first, the conversations past the bound or idle too long; how many."""
        now, forgotten = self.clock(), 0
        while self.saved_at:
            sender_id, saved_at = next(iter(self.saved_at.items()))
            if len(self.saved_at) <= self.max_conversations and now - saved_at < self.idle_s:
                break
            del self.saved_at[sender_id]
            self.store.pop(sender_id, None)
            forgotten += 1
        return forgotten


def summarize(snapshots: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The overall health from the stores' snapshots (pure): worst status wins; none means in-memory."""
    if not snapshots:
        return {"status": "ok", "tracker_store": "in-memory (not shared between processes)", "stores": []}
    order = {"ok": 0, "degraded": 1, "failing": 2}
    worst = max((s["status"] for s in snapshots), key=lambda status: order.get(status, 2))
    return {"status": worst, "tracker_store": snapshots[0]["store"], "stores": snapshots}


async def lock_store_health(lock_store: object, timeout_s: float = 1.0) -> Dict[str, Any]:
    """Whether the conversation lock store answers: a Redis one is pinged within `timeout_s`; others always do."""
    if not isinstance(lock_store, RedisLockStore):
        return {"store": type(lock_store).__name__, "status": "ok"}
    try:
        await asyncio.wait_for(asyncio.to_thread(lock_store.red.ping), timeout_s)
    except Exception as error:  # noqa: BLE001 - any failure means the lock cannot be taken
        return {"store": "redis", "status": "failing", "last_error": describe_error(error)}
    return {"store": "redis", "status": "ok"}


async def tracker_store_health(probe: bool = True) -> Dict[str, Any]:
    """Health of this process's tracker stores, probing each database first when `probe`."""
    stores = observed_stores()
    if probe:
        await asyncio.gather(*(store.probe() for store in stores))
    return summarize([store.health.snapshot() for store in stores])


# One atomic step on a conversation's lock, in Redis itself. The lock keeps Rasa's format (`TicketLock.dumps`:
# the tickets are JSON strings inside the JSON), so Rasa's own code reads it. Expired tickets go first, as in
# `TicketLock`; numbering restarts at 0 when none is left. ARGV: mode, now, conversation id, then
# "issue": lifetime, the latest Redis time at which the ticket is still wanted → the new ticket number, or -1 for
# a call that reached Redis after its caller gave up (a Redis that froze and thawed must not hand out tickets
# nobody serves: they would keep the conversation locked for the ticket's lifetime); "remove": ticket number,
# "1" to delete the lock when idle; "prune": nothing more. A missing lock is created only by "issue".
LOCK_SCRIPT = """
local mode, now = ARGV[1], tonumber(ARGV[2])
if mode == 'issue' then
  local clock = redis.call('TIME')
  if tonumber(clock[1]) + tonumber(clock[2]) / 1000000 > tonumber(ARGV[5]) then return -1 end
end
local raw = redis.call('GET', KEYS[1])
if not raw and mode ~= 'issue' then return nil end
local kept = {}
if raw then
  for _, text in ipairs(cjson.decode(raw)['tickets'] or {}) do
    local ticket = cjson.decode(text)
    if tonumber(ticket['expires']) >= now then table.insert(kept, ticket) end
  end
end
local result = nil
if mode == 'issue' then
  result = 0
  if #kept > 0 then result = kept[#kept]['number'] + 1 end
  table.insert(kept, {number = result, expires = now + tonumber(ARGV[4])})
elseif mode == 'remove' then
  local number, rest = tonumber(ARGV[4]), {}
  for _, ticket in ipairs(kept) do
    if ticket['number'] ~= number then table.insert(rest, ticket) end
  end
  kept = rest
  if ARGV[5] == '1' and #kept == 0 then
    redis.call('DEL', KEYS[1])
    return nil
  end
end
local tickets = {}
for i, ticket in ipairs(kept) do
  tickets[i] = cjson.encode(string.format('{"number": %d, "expires": %.17g}', ticket['number'], ticket['expires']))
end
redis.call('SET', KEYS[1],
           '{"conversation_id": ' .. cjson.encode(ARGV[3]) .. ', "tickets": [' .. table.concat(tickets, ', ') .. ']}')
return result
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store with atomic ticket changes (one Lua script each), for several Rasa processes.

    The open-source `RedisLockStore` reads a conversation's lock, changes it and writes it back in three
    steps. Two processes receiving messages of one sender at once can both read "no lock", both take ticket
    0 and handle the sender concurrently (the SQL tracker store then drops events), or one can overwrite the
    other's ticket and leave it waiting until the lock expires. Here every change runs inside Redis as one
    script: atomic, and one round trip instead of Rasa's three (a message costs three: issue, read, remove).
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Connect like `RedisLockStore`, from an endpoints.yml section or keyword arguments; a silent or unreachable
        Redis fails each call after REDIS_TIMEOUT (connecting and answering), not Rasa's 10 s or the system's minutes."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        timeout_s = float(kwargs.pop("socket_timeout", None) or get_settings().redis_timeout_s)
        super().__init__(socket_timeout=timeout_s, **kwargs)
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = timeout_s
        self._script = self.red.register_script(LOCK_SCRIPT)

    def _run(self, mode: str, conversation_id: Text, *args: Any) -> Any:
        """Run one step of LOCK_SCRIPT on the conversation's lock."""
        return self._script(keys=[self.key_prefix + conversation_id], args=[mode, time.time(), conversation_id, *args])

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket for the conversation (the lock is created if needed), in one atomic step; none for a call
        that reaches Redis more than STALE_TICKET_S after it was made."""
        try:
            number = int(self._run("issue", conversation_id, lock_lifetime, time.time() + STALE_TICKET_S))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        if number < 0:
            raise LockError("Error while acquiring lock. Error:\nthe request reached Redis too late")
        return number

    def update_lock(self, conversation_id: Text) -> None:
        """Drop expired tickets in one atomic step."""
        self._run("prune", conversation_id)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove a served ticket in one atomic step."""
        self._run("remove", conversation_id, ticket_number, "0")

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the served ticket, and the lock when nobody waits, in one atomic step."""
        self._run("remove", conversation_id, ticket_number, "1")
