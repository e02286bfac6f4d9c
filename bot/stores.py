"""Stores for several Rasa processes: a tracker store that never fails silently, a lock store that is atomic.

Rasa wraps every tracker store in `FailSafeTrackerStore`, which falls back to an in-memory store when the
real one fails: conversations then live in one process only and vanish on restart, with one log line.
`ObservedSQLTrackerStore` (use it as `tracker_store.type: bot.stores.ObservedSQLTrackerStore`, with the
settings of Rasa's `sql` store) keeps conversations in Rasa's `events` table through Rasa's public
`TrackerStore` interface only; it records each failure, logs it loudly without personal data, and
`tracker_store_health()` reports it, probing the database, for `GET /webhooks/rest/health`.
`AtomicRedisLockStore` (`lock_store.type: bot.stores.AtomicRedisLockStore`) changes Redis ticket locks
atomically inside Redis (a Lua script), so two processes can never serve one sender at the same time.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple, TypeVar, Union
from urllib.parse import urlsplit

import sqlalchemy as sa
import tenacity
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore, create_engine_kwargs, validate_port
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.utils.endpoints import EndpointConfig

from reissue.masking import scrub

logger = logging.getLogger(__name__)
T = TypeVar("T")
RECENT_S = 300.0  # failures younger than this keep the health check "degraded" after recovery
PROBE_TIMEOUT_S = 3.0
STARTUP_WAIT_S = 60.0  # how long a starting store waits for the database before Rasa gives up


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

    def __len__(self) -> int:
        """How many trackers are known."""
        return len(self._counts)


def event_row(sender_id: Text, event: Event) -> Dict[str, Any]:
    """The `events` table row of one event, with the same columns Rasa's SQL store writes."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
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

    @classmethod
    def for_table(cls, table: sa.Table) -> "EventQueries":
        """The statements on `table`: events of the latest session (or every event) in insertion order."""
        of_sender = table.c.sender_id == sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(of_sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_latest_session = sa.and_(of_sender, sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))
        return cls(
            latest_session=sa.select(table.c.data).where(in_latest_session).order_by(table.c.id),
            all_sessions=sa.select(table.c.data).where(of_sender).order_by(table.c.id),
            count_latest_session=sa.select(sa.func.count()).select_from(table).where(in_latest_session),
            senders=sa.select(table.c.sender_id).distinct(),
            insert=table.insert(),
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


def create_database(login_url: sa.engine.URL, name: Text) -> None:
    """Create the PostgreSQL database `name` through `login_url` unless it exists (another process may win the race)."""
    engine = sa.create_engine(login_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
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


class ObservedSQLTrackerStore(TrackerStore, SerializedTrackerAsText):
    """A SQL tracker store on Rasa's `events` table that logs every failure at ERROR and keeps counts for the health check.

    Built on Rasa's public `TrackerStore` interface only (its own SQLAlchemy Core engine and table), it takes
    the endpoints.yml settings of Rasa's `sql` store and writes the rows that store writes, so either reads
    the other's database. Compared with Rasa's store it reads with Core queries instead of ORM objects,
    appends a save's new events in one batch, and skips the row count for trackers it loaded itself.
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
        **kwargs: Any,
    ) -> None:
        """Connect with Rasa's SQL store settings (`login_db`: create `db` through it), waiting for the database."""
        super().__init__(domain, event_broker, **kwargs)
        url = database_url(dialect, host, port, db, username, password, query)
        if login_db and url.get_backend_name() != "postgresql":
            logger.warning("tracker store: login_db is only used with PostgreSQL; connecting to %s directly", db)
            login_db = None
        login_url: Optional[sa.engine.URL] = None
        if login_db:
            url, login_url = url.set(database=db), url.set(database=login_db)
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url.drivername))

        def prepare() -> None:
            """Create the database (when asked to) and the table."""
            if login_url is not None:
                create_database(login_url, db)
            create_table(self.engine)

        wait_for_database(prepare, float(startup_wait_s))
        self.stored = StoredCounts()
        self.health = StoreHealth(name=f"sql:{url.get_backend_name()}/{url.database}")
        _registry().add(self)
        logger.info("tracker store: %s (observed)", self.health.name)

    async def _observed(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one store call; on failure log loudly, count it and raise a log-safe error."""
        try:
            result = await call()
        except Exception as error:  # noqa: BLE001 - every failure must be seen
            description = self.health.record_failure(operation, error)
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
        await self._observed("save", lambda: self._append(tracker))
        self.stored.remember(tracker)

    async def keys(self) -> Iterable[Text]:
        """Every sender id, observed."""
        return await self._observed("keys", self._sender_ids)

    async def _read(self, sender_id: Text, query: Any) -> Optional[DialogueStateTracker]:
        """The sender's events selected by `query` in one Core query, as a tracker; None when there are none."""
        with self.engine.connect() as connection:
            rows = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        if not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    async def _append(self, tracker: DialogueStateTracker) -> None:
        """Stream the tracker's new events, then insert them as one batch (one round trip on PostgreSQL).

        Rasa's own `save` adds one ORM object per event and flushes them one INSERT at a time; the rows are
        the same here.
        """
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            rows = [event_row(tracker.sender_id, event) for event in self._unsaved_events(connection, tracker)]
            if rows:
                connection.execute(QUERIES.insert, rows)

    def _unsaved_events(self, connection: sa.engine.Connection, tracker: DialogueStateTracker) -> Iterable[Event]:
        """The events not stored yet: after the known count, else after the count of the latest session's rows."""
        known = self.stored.known(tracker)
        if known is None:
            known = connection.execute(QUERIES.count_latest_session, {"sender_id": tracker.sender_id}).scalar()
        return itertools.islice(tracker.events, known, len(tracker.events))

    async def _sender_ids(self) -> List[Text]:
        """Every sender id in the table."""
        with self.engine.connect() as connection:
            return list(connection.execute(QUERIES.senders).scalars())

    def ping(self) -> None:
        """One round trip to the database (raises when it does not answer)."""
        with self.engine.connect() as connection:
            connection.execute(sa.select(sa.literal(1)).select_from(EVENTS).limit(1))

    async def probe(self, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
        """Ping the database now, counting a failure like any other; True when it answered."""
        try:
            await asyncio.wait_for(asyncio.to_thread(self.ping), timeout_s)
        except Exception as error:  # noqa: BLE001
            description = self.health.record_failure("probe", error)
            logger.error("TRACKER STORE FAILURE (health probe on %s): %s", self.health.name, description)
            return False
        self.health.record_success()
        return True


def summarize(snapshots: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The overall health from the stores' snapshots (pure): worst status wins; none means in-memory."""
    if not snapshots:
        return {"status": "ok", "tracker_store": "in-memory (not shared between processes)", "stores": []}
    order = {"ok": 0, "degraded": 1, "failing": 2}
    worst = max((s["status"] for s in snapshots), key=lambda status: order.get(status, 2))
    return {"status": worst, "tracker_store": snapshots[0]["store"], "stores": snapshots}


async def tracker_store_health(probe: bool = True) -> Dict[str, Any]:
    """Health of this process's tracker stores, probing each database first when `probe`."""
    stores = observed_stores()
    if probe:
        for store in stores:
            await store.probe()
    return summarize([store.health.snapshot() for store in stores])


# One atomic step on a conversation's lock, in Redis itself. The lock keeps Rasa's format (`TicketLock.dumps`:
# the tickets are JSON strings inside the JSON), so Rasa's own code reads it. Expired tickets go first, as in
# `TicketLock`; numbering restarts at 0 when none is left. ARGV: mode, now, conversation id, then
# "issue": lifetime → the new ticket number; "remove": ticket number, "1" to delete the lock when idle;
# "prune": nothing more. A missing lock is created only by "issue".
LOCK_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
local mode, now = ARGV[1], tonumber(ARGV[2])
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
        """Connect like `RedisLockStore`, from an endpoints.yml section or keyword arguments."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._script = self.red.register_script(LOCK_SCRIPT)

    def _run(self, mode: str, conversation_id: Text, *args: Any) -> Any:
        """Run one step of LOCK_SCRIPT on the conversation's lock."""
        return self._script(keys=[self.key_prefix + conversation_id], args=[mode, time.time(), conversation_id, *args])

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket for the conversation (the lock is created if needed), in one atomic step."""
        try:
            return int(self._run("issue", conversation_id, lock_lifetime))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        """Drop expired tickets in one atomic step."""
        self._run("prune", conversation_id)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove a served ticket in one atomic step."""
        self._run("remove", conversation_id, ticket_number, "0")

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the served ticket, and the lock when nobody waits, in one atomic step."""
        self._run("remove", conversation_id, ticket_number, "1")
