"""Alembic environment: runs on the connection handed over by backend.db.run_migrations."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from backend.models import Base


def run_online() -> None:
    """Run the migrations on the given connection, or on a new engine for `sqlalchemy.url`."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_online()
