"""Migrations: upgrade to head on an empty database, again without change, and back down."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from backend.db import alembic_config, database_ok, make_engine, run_migrations


def test_upgrade_twice_then_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        run_migrations(engine)
        run_migrations(engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002_unanswered"
        assert database_ok(engine)
        assert {"applications", "unanswered_questions"} <= set(inspect(engine).get_table_names())
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert {"applications", "unanswered_questions"}.isdisjoint(inspect(engine).get_table_names())
    finally:
        engine.dispose()
