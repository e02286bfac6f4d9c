"""Durable outbox: an application is stored before it is sent and delivered once, under its own key.

The application is kept sealed (reissue.sealing, key OUTBOX_KEY) and only until it is delivered or refused;
`sweep` purges every finished row and moves rows that could not be delivered for too long to a dead-letter
state, with an alert line in the log.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from clients.backend import BackendClient, SubmitOutcome
from reissue.application import REFERENCE_ALPHABET, REFERENCE_LENGTH
from reissue.masking import scrub
from reissue.sealing import InvalidToken, seal, unseal

logger = logging.getLogger(__name__)

PENDING = "pending"
DELIVERED = "delivered"
REJECTED = "rejected"
DEAD = "dead"  # could not be delivered for too long: a person must look at it
TERMINAL = (DELIVERED, REJECTED)
SEAL_CONTEXT = b"outbox-payload-v1"


@dataclass(frozen=True)
class OutboxItem:
    """What `put` hands back: the idempotency key and the applicant-facing reference."""

    key: str
    reference: str


@dataclass(frozen=True)
class OutboxRecord:
    """One outbox row as read back (application is None once personal data is purged)."""

    key: str
    reference: str
    status: str
    application: Optional[Dict[str, Any]]
    number: Optional[str]
    message: Optional[str]
    attempts: int
    last_error: Optional[str]
    created_at: float
    updated_at: float
    next_attempt_at: float
    claimed_until: Optional[float]
    delivered_at: Optional[float]
    id_check: Optional[str] = None


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery try and whether this call actually sent the application."""

    outcome: SubmitOutcome
    sent: bool


def new_reference() -> str:
    """A short random human reference such as "Q7F3K2"."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def retry_delay_s(attempts: int, base_s: float = 30.0, cap_s: float = 900.0) -> float:
    """Pause before the worker tries a row again after `attempts` failed deliveries (exponential, capped)."""
    return min(cap_s, base_s * (2 ** max(0, attempts - 1)))


def serialize_application(application: Dict[str, Any]) -> str:
    """Canonical JSON text of an application; raises TypeError for anything JSON cannot hold."""
    if not isinstance(application, dict):
        raise TypeError("an application must be a dict")
    return json.dumps(application, ensure_ascii=False, sort_keys=True, allow_nan=False)


def build_table(metadata: MetaData, name: str = "outbox", schema: Optional[str] = None) -> Table:
    """The outbox table definition (times are UNIX seconds, portable across SQLite and PostgreSQL)."""
    return Table(
        name,
        metadata,
        Column("key", String(32), primary_key=True),
        Column("reference", String(16), nullable=False, unique=True),
        Column("status", String(16), nullable=False, index=True),
        Column("payload", Text, nullable=True),
        Column("number", String(64), nullable=True),
        Column("message", Text, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Column("created_at", Float, nullable=False),
        Column("updated_at", Float, nullable=False),
        Column("next_attempt_at", Float, nullable=False),
        Column("claimed_until", Float, nullable=True),
        Column("claim_token", String(32), nullable=True),
        Column("delivered_at", Float, nullable=True),
        # HMAC of the key and the ID number's last four: checks a progress query after the data is purged.
        Column("id_check", String(64), nullable=True),
        schema=schema,
    )


def make_engine(url: str) -> Engine:
    """An engine for the outbox URL: SQLite gets its folder, a busy timeout and WAL; parameters never logged."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
            future=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            """Use WAL so readers never block the writer, and wait rather than fail on a lock."""
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
            finally:
                cursor.close()

        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, future=True)


class Outbox:
    """Applications waiting for (or done with) delivery to the backend, in SQLite or PostgreSQL."""

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        table_name: str = "outbox",
        schema: Optional[str] = None,
        engine: Optional[Engine] = None,
        lease_s: Optional[float] = None,
        first_try_grace_s: float = 15.0,
        retry_base_s: Optional[float] = None,
        clock: Callable[[], float] = time.time,
        secret: Optional[str] = None,
        previous_secret: Optional[str] = None,
    ) -> None:
        """Remember where the outbox lives and its sealing secret; the engine and table are created on first use."""
        self._url = url
        self._secret = secret
        self._previous_secret = previous_secret
        self._engine = engine
        self._metadata = MetaData()
        self.table = build_table(self._metadata, table_name, schema)
        self._lease_s = lease_s
        self._grace_s = first_try_grace_s
        self._retry_base_s = retry_base_s
        self._clock = clock
        self._ready = False

    # -- setup

    @property
    def engine(self) -> Engine:
        """The engine, created (and the table with it, if missing) on first use."""
        if self._engine is None:
            url = self._url
            if url is None:
                from reissue.settings import get_settings

                url = get_settings().outbox_url
            self._engine = make_engine(url)
        if not self._ready:
            self._create_table()
            self._ready = True
        return self._engine

    def _create_table(self) -> None:
        """Create the table when it does not exist; tolerate another process creating it at the same time."""
        assert self._engine is not None
        try:
            self._metadata.create_all(self._engine, checkfirst=True)
        except SQLAlchemyError:
            from sqlalchemy import inspect

            if not inspect(self._engine).has_table(self.table.name, schema=self.table.schema):
                raise
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Add the columns a table created by an older version lacks (nullable ones only)."""
        from sqlalchemy import inspect

        assert self._engine is not None
        present = {column["name"] for column in inspect(self._engine).get_columns(self.table.name, schema=self.table.schema)}
        for column in self.table.columns:
            if column.name not in present and column.nullable:
                name = self.table.name if self.table.schema is None else f'{self.table.schema}"."{self.table.name}'
                ddl = f'ALTER TABLE "{name}" ADD COLUMN {column.name} {column.type.compile(self._engine.dialect)}'
                try:
                    with self._engine.begin() as conn:
                        conn.exec_driver_sql(ddl)
                except SQLAlchemyError:
                    if column.name not in {c["name"] for c in inspect(self._engine).get_columns(self.table.name,
                                                                                             schema=self.table.schema)}:
                        raise

    @property
    def lease_s(self) -> float:
        """How long a claim lasts: longer than the slowest possible delivery by the client."""
        if self._lease_s is None:
            from reissue.settings import get_settings

            s = get_settings()
            self._lease_s = s.backend_max_total_s + 2 * s.backend_timeout_s + 30.0
        return self._lease_s

    @property
    def retry_base_s(self) -> float:
        """The first retry delay after a failed delivery (doubles per attempt, capped)."""
        if self._retry_base_s is None:
            from reissue.settings import get_settings

            self._retry_base_s = get_settings().outbox_retry_base_s
        return self._retry_base_s

    def _secrets(self) -> Tuple[str, str]:
        """The sealing secret and the previous one (rotation), from the settings unless given."""
        if self._secret is None:
            from reissue.settings import get_settings

            settings = get_settings()
            self._secret = settings.outbox_key
            self._previous_secret = settings.outbox_key_previous if self._previous_secret is None else self._previous_secret
        return self._secret, self._previous_secret or ""

    def _seal(self, application: Dict[str, Any]) -> str:
        """The application as stored: canonical JSON, sealed."""
        return seal(serialize_application(application), self._secrets()[0], SEAL_CONTEXT)

    def _open(self, payload: Optional[str]) -> Optional[Dict[str, Any]]:
        """The stored application, or None when there is none or it is unreadable; InvalidToken for a wrong key."""
        if payload is None:
            return None
        if payload.startswith("{"):  # a row stored before sealing existed
            text = payload
        else:
            secret, previous = self._secrets()
            text = unseal(payload, secret, SEAL_CONTEXT, previous=[previous])
        try:
            application = json.loads(text)
        except ValueError:
            return None
        return application if isinstance(application, dict) else None

    def id_check(self, key: str, id_number: str) -> str:
        """The row's check value for an ID number's last four characters (keyed: useless without OUTBOX_KEY)."""
        message = f"{key}:{str(id_number or '').strip().upper()[-4:]}".encode()
        return hmac.new(self._secrets()[0].encode("utf-8"), message, hashlib.sha256).hexdigest()

    def matches_id(self, record: OutboxRecord, last4: str) -> bool:
        """Whether `last4` are the last four characters of the ID number the row was stored with."""
        if record.id_check:
            return hmac.compare_digest(record.id_check, self.id_check(record.key, last4))
        stored = str((record.application or {}).get("id_number") or "").upper()
        return bool(stored) and stored.endswith(str(last4 or "").strip().upper())

    def _open_quietly(self, payload: Optional[str]) -> Optional[Dict[str, Any]]:
        """Like `_open`, None also for a wrong key (for reading rows back)."""
        try:
            return self._open(payload)
        except InvalidToken:
            return None

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            self._engine.dispose()

    # -- writing

    def put(self, application: Dict[str, Any], key: Optional[str] = None) -> OutboxItem:
        """Store the application durably as pending, before anything is sent; return its key and reference.

        With a caller's `key` (e.g. derived from the confirming message), putting the same key again returns
        the stored row instead of a second one, so a re-run action can never file twice.
        """
        payload = self._seal(application)
        id_number = str(application.get("id_number") or "")
        if key is not None:
            existing = self.get(key)
            if existing is not None:
                return OutboxItem(key=existing.key, reference=existing.reference)
        key = key or uuid.uuid4().hex
        now = self._clock()
        t = self.table
        for _ in range(8):
            reference = new_reference()
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        t.insert().values(
                            key=key, reference=reference, status=PENDING, payload=payload, attempts=0,
                            id_check=self.id_check(key, id_number) if id_number else None,
                            created_at=now, updated_at=now, next_attempt_at=now + self._grace_s,
                        )
                    )
            except IntegrityError:
                existing = self.get(key)
                if existing is not None:  # the same key stored concurrently
                    return OutboxItem(key=existing.key, reference=existing.reference)
                logger.info("outbox reference collision, drawing another")
                continue
            logger.info("outbox stored application %s… as %s", key[:8], reference)
            return OutboxItem(key=key, reference=reference)
        raise RuntimeError("could not draw a free outbox reference")

    def _claim(self, key: str, now: float) -> Optional[str]:
        """Atomically claim a pending, unclaimed (or expired) row; return the claim token or None."""
        token = uuid.uuid4().hex
        t = self.table
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t)
                .where(
                    t.c.key == key,
                    t.c.status == PENDING,
                    or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
                )
                .values(claimed_until=now + self.lease_s, claim_token=token, updated_at=now)
            )
            return token if result.rowcount == 1 else None

    async def deliver(self, key: str, client: BackendClient) -> SubmitOutcome:
        """Send one stored application now (if no one else is) and record what the backend said."""
        return (await self.try_deliver(key, client)).outcome

    async def try_deliver(self, key: str, client: BackendClient) -> DeliveryResult:
        """Like `deliver`, also telling whether this call did the sending."""
        now = self._clock()
        token = self._claim(key, now)
        if token is None:
            record = self.get(key)
            if record is None:
                raise KeyError(key)
            if record.status == DELIVERED:
                return DeliveryResult(SubmitOutcome("duplicate", number=record.number, message="already delivered"), False)
            if record.status == REJECTED:
                return DeliveryResult(SubmitOutcome("rejected", message=record.message), False)
            return DeliveryResult(SubmitOutcome("unavailable", message="delivery already in progress"), False)

        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.payload, t.c.attempts).where(t.c.key == key)).one()
        try:
            application = self._open(row.payload)
        except InvalidToken:
            outcome = SubmitOutcome("unavailable", message="sealed under another key: check OUTBOX_KEY / OUTBOX_KEY_PREVIOUS")
            self._record(key, token, outcome, row.attempts)
            logger.error("OUTBOX KEY MISMATCH: row %s… cannot be opened with OUTBOX_KEY; it stays pending", key[:8])
            return DeliveryResult(outcome, False)
        if application is None:
            outcome = SubmitOutcome("rejected", message="stored application is missing or unreadable")
            self._record(key, token, outcome, row.attempts)
            logger.error("outbox row %s… has no usable payload; marked rejected", key[:8])
            return DeliveryResult(outcome, False)

        try:
            outcome = await client.submit(application, key)
            if not isinstance(outcome, SubmitOutcome):
                raise TypeError(f"client returned {type(outcome).__name__}")
        except Exception as exc:  # noqa: BLE001 - the client must not take the outbox down with it
            logger.error("backend client failed for %s…: %s", key[:8], type(exc).__name__)
            outcome = SubmitOutcome("unavailable", message=f"client error: {type(exc).__name__}")
        self._record(key, token, outcome, row.attempts)
        return DeliveryResult(outcome, True)

    def _record(self, key: str, token: str, outcome: SubmitOutcome, attempts_before: int) -> None:
        """Write the delivery outcome back to the row and release the claim."""
        t = self.table
        now = self._clock()
        attempts = attempts_before + 1
        if outcome.accepted:
            stmt = (
                update(t)
                .where(t.c.key == key, t.c.status == PENDING)
                .values(
                    status=DELIVERED, number=outcome.number, delivered_at=now, updated_at=now, attempts=attempts,
                    last_error=None, claimed_until=None, claim_token=None,
                )
            )
        elif outcome.kind == "rejected":
            stmt = (
                update(t)
                .where(t.c.key == key, t.c.status == PENDING, t.c.claim_token == token)
                .values(
                    status=REJECTED, message=scrub(outcome.message or "rejected"), updated_at=now, attempts=attempts,
                    claimed_until=None, claim_token=None,
                )
            )
        else:
            stmt = (
                update(t)
                .where(t.c.key == key, t.c.status == PENDING, t.c.claim_token == token)
                .values(
                    attempts=attempts, last_error=scrub(outcome.message or "unavailable")[:500], updated_at=now,
                    next_attempt_at=now + retry_delay_s(attempts, self.retry_base_s), claimed_until=None, claim_token=None,
                )
            )
        with self.engine.begin() as conn:
            result = conn.execute(stmt)
        if result.rowcount != 1:
            logger.warning("outbox row %s… changed while it was being delivered; outcome %s not recorded", key[:8], outcome.kind)
        else:
            logger.info("outbox row %s… → %s (attempt %d)", key[:8], outcome.kind, attempts)

    def sweep(self, dead_after_s: Optional[float] = None, dead_retention_s: Optional[float] = None) -> Dict[str, int]:
        """Purge every finished row still holding data, dead-letter rows pending too long, purge old dead rows."""
        if dead_after_s is None or dead_retention_s is None:
            from reissue.settings import get_settings

            settings = get_settings()
            dead_after_s = settings.outbox_dead_after_s if dead_after_s is None else dead_after_s
            dead_retention_s = settings.outbox_dead_retention_s if dead_retention_s is None else dead_retention_s
        t, now = self.table, self._clock()
        with self.engine.begin() as conn:
            purged = conn.execute(
                update(t).where(t.c.status.in_(TERMINAL), t.c.payload.is_not(None)).values(**self._purged_values(now))
            ).rowcount
            dying = conn.execute(
                select(t.c.key, t.c.reference, t.c.attempts, t.c.created_at).where(
                    t.c.status == PENDING, t.c.created_at < now - dead_after_s,
                    or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
                )
            ).all()
            for row in dying:
                conn.execute(update(t).where(t.c.key == row.key, t.c.status == PENDING)
                             .values(status=DEAD, updated_at=now, claimed_until=None, claim_token=None))
                logger.error(
                    "OUTBOX DEAD LETTER: application %s… (reference %s) not delivered after %d attempt(s) in %.0f h; "
                    "a person must deliver or refuse it (the applicant is told to call the hotline when asking)",
                    row.key[:8], row.reference, row.attempts, (now - row.created_at) / 3600,
                )
            expired = conn.execute(
                update(t).where(t.c.status == DEAD, t.c.payload.is_not(None), t.c.updated_at < now - dead_retention_s)
                .values(payload=None, updated_at=now)
            ).rowcount
        return {"purged": int(purged), "dead": len(dying), "dead_purged": int(expired)}

    def _purged_values(self, now: float) -> Dict[str, Any]:
        """What a purge writes: no application, no error; a refusal keeps its (masked) reason for the applicant."""
        t = self.table
        return {"payload": None, "last_error": None, "updated_at": now,
                "message": case((t.c.status == REJECTED, t.c.message), else_=None)}

    def purge_personal_data(self, key: str) -> bool:
        """Drop the application of a delivered or rejected row; keep key, reference, number, status, a refusal's reason."""
        t = self.table
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t).where(t.c.key == key, t.c.status.in_(TERMINAL)).values(**self._purged_values(self._clock()))
            )
        return result.rowcount == 1

    # -- reading

    def get(self, key: str) -> Optional[OutboxRecord]:
        """The row with this key, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.key == key)).first()
        return _to_record(row, self._open_quietly) if row is not None else None

    def find_by_reference(self, reference: str) -> Optional[OutboxRecord]:
        """The row with this applicant-facing reference (case-insensitive), or None."""
        reference = (reference or "").strip().upper()
        with self.engine.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.reference == reference)).first()
        return _to_record(row, self._open_quietly) if row is not None else None

    def pending(self, limit: int = 100, *, due_only: bool = False) -> List[OutboxRecord]:
        """Pending rows, oldest first; with due_only, only those a worker should try now."""
        t = self.table
        query = select(t).where(t.c.status == PENDING)
        if due_only:
            now = self._clock()
            query = query.where(
                t.c.next_attempt_at <= now, or_(t.c.claimed_until.is_(None), t.c.claimed_until < now)
            )
        query = query.order_by(t.c.created_at, t.c.key).limit(limit)
        with self.engine.connect() as conn:
            return [_to_record(row, self._open_quietly) for row in conn.execute(query)]

    def counts(self) -> Dict[str, int]:
        """How many rows are in each status (for monitoring)."""
        from sqlalchemy import func

        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
        return {status: int(n) for status, n in rows}


def _to_record(row: Any, open_payload: Callable[[Optional[str]], Optional[Dict[str, Any]]]) -> OutboxRecord:
    """Turn a result row into an OutboxRecord, the application opened with `open_payload`."""
    m = row._mapping
    return OutboxRecord(
        key=m["key"], reference=m["reference"], status=m["status"], application=open_payload(m["payload"]),
        number=m["number"], message=m["message"], attempts=int(m["attempts"] or 0), last_error=m["last_error"],
        created_at=m["created_at"], updated_at=m["updated_at"], next_attempt_at=m["next_attempt_at"],
        claimed_until=m["claimed_until"], delivered_at=m["delivered_at"], id_check=m["id_check"],
    )
