"""Migrations: upgrade to head on an empty database, again without change, and back down."""
from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from backend.db import alembic_config, database_ok, make_engine, run_migrations


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
