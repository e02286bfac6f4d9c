"""Fixtures for the services tests: a scriptable local backend over real HTTP, and outboxes on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine

from actions.services.outbox import Outbox
from tests.fakes.scripted_backend import backend, closed_port_url  # noqa: F401 - fixtures

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Clock:
    """A settable wall clock for outbox tests."""

    def __init__(self) -> None:
        """Start at the real time."""
        self.now = time.time()

    def __call__(self) -> float:
        """The current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    """A fresh settable clock."""
    return Clock()


@dataclass
class OutboxTarget:
    """Where a test's outbox lives: URL and table, so a second Outbox (or process) can open the same one."""

    kind: str
    url: str
    table: str

    def open(self, **kwargs: Any) -> Outbox:
        """A new Outbox object on the same storage (as after a restart)."""
        kwargs.setdefault("first_try_grace_s", 0.0)
        kwargs.setdefault("lease_s", 60.0)
        return Outbox(self.url, table_name=self.table, **kwargs)


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_target(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[OutboxTarget]:
    """The outbox storage, once on a SQLite file and once on PostgreSQL (a unique table per test; no skip)."""
    table = f"outbox_t_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        yield OutboxTarget("sqlite", f"sqlite:///{tmp_path / 'var' / 'outbox.sqlite'}", table)
        return
    engine = create_engine(POSTGRES_URL, future=True)
    with engine.connect() as conn:  # fails the test loudly when PostgreSQL is not reachable
        conn.exec_driver_sql("SELECT 1")
    try:
        yield OutboxTarget("postgresql", POSTGRES_URL, table)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        engine.dispose()
