"""Migrations: upgrade to head on an empty database, again without change, and back down."""
from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from backend.db import DatabaseProbe, alembic_config, database_ok, make_engine, postgresql_deadlines, run_migrations
from tests.backend.backend_helpers import PG_URL
from tests.fakes.freezing_proxy import FreezingProxy


def test_upgrade_twice_then_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        run_migrations(engine)
        run_migrations(engine)
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        config = alembic_config()
        assert version == ScriptDirectory.from_config(config).get_current_head()
        assert database_ok(engine)
        assert {"applications", "unanswered_questions"} <= set(inspect(engine).get_table_names())
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert {"applications", "unanswered_questions"}.isdisjoint(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_privacy_migration_masks_stored_ids_to_the_last_four(database_url):
    engine = make_engine(database_url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002_unanswered")
            connection.execute(text(
                "INSERT INTO applications (number, idempotency_key, request_hash, status, reason, qualification, obtained,"
                " applicant_name, id_hmac, id_masked, id_last4, id_encrypted, cert_number_unknown, city, phone_masked,"
                " phone_encrypted, channel, created_at, updated_at) VALUES ('BF2026010100001', 'key-1', :digest, '已提交',"
                " 'lost', '一级建造师', '2015-06', '张三', 'h', '370102********123X', '123X', 'sealed', :no, '济南市',"
                " '138****8000', 'sealed', 'web', :at, :at)"
            ), {"digest": "a" * 64, "no": False, "at": datetime(2026, 1, 1)})
        run_migrations(engine)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT id_masked, id_last4, request_hash FROM applications")).one()
        assert tuple(row) == ("*" * 14 + "123X", "123X", "")
    finally:
        engine.dispose()


def test_postgresql_connections_get_deadlines_and_keep_the_urls_options():
    """A connect and a statement timeout are added to what the URL asks for (the tests' search_path)."""
    args = postgresql_deadlines(f"{PG_URL}?options=-csearch_path%3Dbackend_x")
    assert args["connect_timeout"] == 2
    assert args["options"] == "-csearch_path=backend_x -c statement_timeout=10000"
    assert postgresql_deadlines(PG_URL)["options"] == "-c statement_timeout=10000"


async def test_the_probe_says_unavailable_within_its_deadline_while_postgresql_is_frozen():
    """Frozen (SIGSTOP as a client sees it): each probe answers False within its deadline, one thread hangs, not
    one per probe; thawed, the database is fine again."""
    proxy = FreezingProxy(("127.0.0.1", 5432))
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{proxy.port}/test")
    probe = DatabaseProbe(lambda: engine, timeout_s=1.0)
    try:
        assert await probe.ok()
        proxy.freeze()
        for _ in range(3):
            start = time.monotonic()
            assert not await probe.ok()
            assert time.monotonic() - start < 1.5
        assert sum(thread.name == "database-probe" for thread in threading.enumerate()) == 1
        proxy.thaw()
        deadline = time.monotonic() + 10
        while not await probe.ok() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert await probe.ok()
    finally:
        proxy.close()
        engine.dispose()
