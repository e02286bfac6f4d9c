"""The observed SQL tracker store against Rasa itself (public interface only, the SQL store's table and rows) and on PostgreSQL."""
from __future__ import annotations

import ast
import inspect
import json
import textwrap
import uuid
from pathlib import Path
from typing import Callable, Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, check_if_tracker_store_async
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from bot.stores import EventSealer, ObservedSQLTrackerStore

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STORE_TYPE = "bot.stores.ObservedSQLTrackerStore"


def is_dunder(name: str) -> bool:
    """`__init__`, `__doc__` and the like."""
    return name.startswith("__") and name.endswith("__")


def rasa_private_names() -> set:
    """The private attributes of Rasa's SQL store and its base: class members and what `__init__` sets."""
    instance = SQLTrackerStore(domain=Domain.empty(), host="sqlite://")
    names = set(dir(SQLTrackerStore)) | set(vars(instance))
    return {name for name in names if name.startswith("_") and not is_dunder(name)}


def test_the_store_stands_on_rasas_public_tracker_store_interface_only() -> None:
    """No SQLTrackerStore base, no private TrackerStore method overridden, no private Rasa attribute used."""
    assert issubclass(ObservedSQLTrackerStore, TrackerStore)
    assert not issubclass(ObservedSQLTrackerStore, SQLTrackerStore)
    overridden = {name for name in vars(ObservedSQLTrackerStore) if hasattr(TrackerStore, name) and not is_dunder(name)}
    assert {"save", "retrieve", "retrieve_full_tracker", "keys"} <= overridden
    assert [name for name in overridden if name.startswith("_")] == []
    source = ast.parse(textwrap.dedent(inspect.getsource(ObservedSQLTrackerStore)))
    used = {node.attr for node in ast.walk(source) if isinstance(node, ast.Attribute)}
    assert used & rasa_private_names() == set()


def test_rasa_builds_it_from_endpoints_as_an_asynchronous_store(tmp_path: Path) -> None:
    """Rasa's factory loads the class by name with the `sql` settings and does not wrap it as a legacy sync store."""
    path = tmp_path / "trackers.db"
    config = EndpointConfig(type=STORE_TYPE, dialect="sqlite", db=str(path))
    store = TrackerStore.create(config, domain=Domain.empty())
    assert type(store) is ObservedSQLTrackerStore and check_if_tracker_store_async(store)
    assert store.health.name == f"sql:sqlite/{path}" and path.exists()
    by_url = TrackerStore.create(EndpointConfig(url=f"sqlite:///{path}", type=STORE_TYPE))
    assert by_url.engine.url.database == str(path)


@pytest.fixture
def pg_databases() -> Iterator[List[str]]:
    """Names for fresh PostgreSQL databases; those created are dropped afterwards."""
    names: List[str] = []
    yield names
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for name in names:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


def test_rasa_builds_it_on_postgresql_from_host_port_and_login_db(pg_databases: List[str]) -> None:
    """endpoints.yml values arrive as strings; `login_db` creates the database, as with Rasa's SQL store."""
    name = f"reissue_store_{uuid.uuid4().hex[:10]}"
    pg_databases.append(name)
    config = EndpointConfig(url="127.0.0.1:5432", type=STORE_TYPE, dialect="postgresql", port="5999",
                            username="postgres", db=name, login_db="postgres")
    store = TrackerStore.create(config, domain=Domain.empty())
    assert store.health.name == f"sql:postgresql/{name}" and store.engine.url.port == 5432
    assert store.ping() is None  # the new database holds the events table
    again = ObservedSQLTrackerStore(dialect="postgresql", host="127.0.0.1", port="5432", username="postgres",  # exists now
                                    db=name, login_db="postgres")
    assert again.ping() is None


def new_pg_database(created: List[str]) -> str:
    """The URL of a new empty database on the local PostgreSQL, noted in `created` to be dropped."""
    name = f"reissue_store_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    created.append(name)
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path, pg_databases: List[str]) -> Callable[[], str]:
    """A factory of URLs of empty databases: SQLite files, or new databases on the local PostgreSQL."""
    if request.param == "postgresql":
        return lambda: new_pg_database(pg_databases)
    return lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex[:10]}.db"


T0 = 1_700_000_000.0


def session(start: float, texts: List[str]) -> List[Event]:
    """One conversation session: Rasa's session start, then a user message and a bot answer per text."""
    events: List[Event] = [ActionExecuted("action_session_start", timestamp=start), SessionStarted(timestamp=start + 0.5),
                           ActionExecuted("action_listen", timestamp=start + 1)]
    for index, text in enumerate(texts, start=1):
        at = start + 10 * index
        events += [UserUttered(text, {"name": "faq", "confidence": 0.9}, timestamp=at,
                               parse_data={"intent": {"name": "faq", "confidence": 0.9}, "entities": [], "text": text}),
                   ActionExecuted("utter_faq", timestamp=at + 1), BotUttered("要带户口簿", {"template_name": "utter_faq"}, timestamp=at + 2),
                   ActionExecuted("action_listen", timestamp=at + 3)]
    return events


FIRST = session(T0, ["补办要带什么", "要多久"])
SECOND = session(T0 + 1000, ["在哪里办"])


async def save_in_turns(store: TrackerStore, sender: str, events: List[Event]) -> None:
    """Per event, as Rasa does per message: retrieve the sender's tracker (or start one), add the event, save."""
    for event in events:
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
        tracker.update(event)
        await store.save(tracker)


def state(tracker: DialogueStateTracker) -> dict:
    """Everything a tracker says, events included."""
    return tracker.current_state(EventVerbosity.ALL)


async def assert_same_reads(ours: TrackerStore, stock: TrackerStore, sender: str) -> None:
    """Both stores read the sender's latest session, all sessions and the sender ids identically."""
    latest, latest_stock = await ours.retrieve(sender), await stock.retrieve(sender)
    assert state(latest) == state(latest_stock)
    assert state(await ours.retrieve_full_tracker(sender)) == state(await stock.retrieve_full_tracker(sender))
    assert sorted(await ours.keys()) == sorted(await stock.keys())


async def test_rasas_sql_store_finds_the_senders_but_cannot_read_the_sealed_events(fresh_url: Callable[[], str]) -> None:
    """A two-session conversation written here (table created here): the data column is sealed, deliberately, so
    Rasa's store lists the same senders but cannot read their events (on PostgreSQL it takes the JSON error for a
    missing schema and exits); this store reads both sessions back."""
    url = fresh_url()
    ours = ObservedSQLTrackerStore(domain=Domain.empty(), host=url)
    await save_in_turns(ours, "alice", FIRST + SECOND)
    stock = SQLTrackerStore(domain=Domain.empty(), host=url)
    assert await stock.keys() == await ours.keys() == ["alice"]
    with pytest.raises((json.JSONDecodeError, SystemExit)):
        await stock.retrieve_full_tracker("alice")
    full = await ours.retrieve_full_tracker("alice")
    assert [e.as_dict() for e in full.events] == [e.as_dict() for e in FIRST + SECOND]
    assert len((await ours.retrieve("alice")).events) == len(SECOND) - 1  # from the latest SessionStarted on


async def test_this_store_reads_and_continues_a_database_of_rasas_sql_store(fresh_url: Callable[[], str]) -> None:
    """Rasa's store creates the table and writes a session; this store reads it identically and appends the next."""
    url = fresh_url()
    stock = SQLTrackerStore(domain=Domain.empty(), host=url)
    await save_in_turns(stock, "bob", FIRST)
    ours = ObservedSQLTrackerStore(domain=Domain.empty(), host=url)
    await assert_same_reads(ours, stock, "bob")
    await save_in_turns(ours, "bob", SECOND)
    assert [e.as_dict() for e in (await ours.retrieve_full_tracker("bob")).events] == [e.as_dict() for e in FIRST + SECOND]
    data = [row[5] for row in stored_rows(url)]
    assert all(d.startswith("{") for d in data[:len(FIRST)]) and not any(d.startswith("{") for d in data[len(FIRST):])


def table_shape(url: str) -> dict:
    """The `events` table's columns (name, type, nullable, key) and indexes, as the database reports them."""
    inspector = sa.inspect(sa.create_engine(url))
    columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns("events")]
    indexes = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes("events"))
    return {"columns": columns, "primary_key": inspector.get_pk_constraint("events")["constrained_columns"], "indexes": indexes}


def stored_rows(url: str) -> List[tuple]:
    """Every row but its id, in insertion order."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


async def test_both_stores_create_the_same_table_and_write_the_same_rows(fresh_url: Callable[[], str]) -> None:
    """The same conversation saved by each store in its own new database: same table layout, same rows but for the
    sealed data column, which opens to exactly what Rasa's store writes."""
    ours_url, stock_url = fresh_url(), fresh_url()
    ours = ObservedSQLTrackerStore(domain=Domain.empty(), host=ours_url)
    stock = SQLTrackerStore(domain=Domain.empty(), host=stock_url)
    for store in (ours, stock):
        await save_in_turns(store, "carol", FIRST + SECOND)
    assert table_shape(ours_url) == table_shape(stock_url)
    sealer = EventSealer.from_settings()
    rows = [(*row[:5], sealer.open(row[5])) for row in stored_rows(ours_url)]
    assert rows == stored_rows(stock_url) and len(rows) == len(FIRST + SECOND)
    assert all(row[5] != opened for row, opened in zip(stored_rows(ours_url), (r[5] for r in rows)))
    assert rows[3][:5] == ("carol", "user", T0 + 10, "faq", None)
    for store in (ours, stock):
        store.engine.dispose()


async def test_a_restarted_database_costs_a_reconnect_not_a_failed_turn(pg_databases: List[str]) -> None:
    """PostgreSQL drops every connection (as on a restart): the next turn reconnects and nothing counts as failed."""
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=new_pg_database(pg_databases))
    await save_in_turns(store, "dana", FIRST[:3])
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
                                     {"name": store.engine.url.database}).scalar()
    admin.dispose()
    assert dropped >= 1
    await save_in_turns(store, "dana", FIRST[3:])
    assert len((await store.retrieve_full_tracker("dana")).events) == len(FIRST)
    assert store.health.failures == 0
