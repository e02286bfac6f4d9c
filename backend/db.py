"""Engine, sessions and start-up migrations (nothing is created at import)."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PG_CONNECT_TIMEOUT_S = 2  # libpq's minimum
PG_STATEMENT_TIMEOUT_MS = 10_000
PG_POOL_TIMEOUT_S = 10.0  # waiting for a pooled connection when every one is busy
HEALTH_TIMEOUT_S = 2.0  # GET /healthz answers within 3 s even when the database never does


def _prepare_sqlite_file(url: str) -> None:
    """Create the parent folder of a file-based SQLite database."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Wait for locks instead of failing, and enforce foreign keys, on every SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the engine for `url` (SQLite file or PostgreSQL)."""
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, future=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=PG_POOL_TIMEOUT_S,
                         connect_args=postgresql_deadlines(url), future=True)


def postgresql_deadlines(url: str) -> Dict[str, Any]:
    """libpq settings that bound waiting on PostgreSQL: a connect timeout (it covers the start-up exchange, so a
    server that accepts but never answers fails new connections) and a statement timeout, added to any `options`
    of the URL (e.g. a search_path)."""
    options = make_url(url).query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    return {"connect_timeout": PG_CONNECT_TIMEOUT_S,
            "options": f"{options} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}".strip()}


def alembic_config() -> Config:
    """An Alembic configuration pointing at backend/migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def run_migrations(engine: Engine) -> None:
    """Bring the database schema to the latest revision (`alembic upgrade head`)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def make_session_factory(engine: Engine) -> sessionmaker:
    """A session factory bound to `engine`."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def database_ok(engine: Engine) -> bool:
    """True when a trivial query succeeds."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any driver failure means "unreachable"
        return False


class DatabaseProbe:
    """`database_ok` within a deadline, one at a time on a daemon thread: a database that accepts but never answers
    (a pooled connection then hangs, which no driver timeout ends) makes the answer False after `timeout_s` instead
    of holding the health route, and a hung probe is waited for again, never piled up."""

    def __init__(self, engine: Callable[[], Engine], timeout_s: float = HEALTH_TIMEOUT_S) -> None:
        """Probe the engine `engine()` returns at each probe; answer False when no answer comes within `timeout_s`."""
        self.engine = engine
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._running: Optional[Future] = None

    def _probe(self, future: Future) -> None:
        """Run one probe and settle its future."""
        future.set_result(database_ok(self.engine()))

    async def ok(self) -> bool:
        """True when the database answered a trivial query within the deadline."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                threading.Thread(target=self._probe, args=(self._running,), name="database-probe", daemon=True).start()
            running = self._running
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(running)), self.timeout_s)
        except asyncio.TimeoutError:
            return False
