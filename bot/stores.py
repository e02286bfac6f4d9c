"""Tracker stores that never fail silently: every failure is logged at ERROR and shown by a health check.

Rasa wraps every tracker store in `FailSafeTrackerStore`, which falls back to an in-memory store when the
real one fails: conversations then live in one process only and vanish on restart, with one log line.
`ObservedSQLTrackerStore` (use it as `tracker_store.type: bot.stores.ObservedSQLTrackerStore`) records
each failure, logs it loudly without personal data, and `tracker_store_health()` reports it, probing the
database, for `GET /webhooks/rest/health`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, TypeVar

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.parsing.masking import scrub

logger = logging.getLogger(__name__)
T = TypeVar("T")
RECENT_S = 300.0  # failures younger than this keep the health check "degraded" after recovery
PROBE_TIMEOUT_S = 3.0


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


class ObservedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store that logs every failure at ERROR and keeps counts for the health check."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Connect like `SQLTrackerStore` (which waits for the database), then register for health checks."""
        super().__init__(*args, **kwargs)
        self.health = StoreHealth(name=f"sql:{self.engine.url.get_backend_name()}/{self.engine.url.database}")
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
        """The tracker of the latest session, observed."""
        return await self._observed("retrieve", lambda: SQLTrackerStore.retrieve(self, sender_id))

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of every session, observed."""
        return await self._observed(
            "retrieve_full_tracker", lambda: SQLTrackerStore.retrieve_full_tracker(self, conversation_id)
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, observed."""
        await self._observed("save", lambda: SQLTrackerStore.save(self, tracker))

    async def keys(self) -> Iterable[Text]:
        """Every sender id, observed."""
        return await self._observed("keys", lambda: SQLTrackerStore.keys(self))

    def ping(self) -> None:
        """One round trip to the database (raises when it does not answer)."""
        import sqlalchemy as sa

        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1 FROM events LIMIT 1"))

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
