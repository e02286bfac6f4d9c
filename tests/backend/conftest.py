"""Fixtures for the backend tests: one app per database (SQLite file and a PostgreSQL schema)."""
from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, Iterator

import psycopg2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.app import create_app
from reissue.settings import Settings, get_settings
from tests.backend.backend_helpers import ALLOWED_ORIGIN, BOT, BOT_TOKEN, PG_URL, STAFF_TOKEN, application_body, new_key


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in a not-yet-existing folder, or a dedicated PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'backend.sqlite'}"
        return
    schema = "backend_test_" + uuid.uuid4().hex[:12]
    connection = psycopg2.connect(PG_URL)  # a failure here fails the test: PostgreSQL is required
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        connection.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own database, upload folder, tokens and keys."""
    return replace(
        get_settings(),
        database_url=database_url,
        upload_dir=tmp_path / "uploads",
        backend_token=BOT_TOKEN,
        staff_token=STAFF_TOKEN,
        cors_origins=ALLOWED_ORIGIN,
        backend_id_hmac_key="test-hmac-key",
        backend_id_secret="test-seal-secret",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The backend app on the test database."""
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client that re-raises any server error (so a 5xx can never pass unnoticed)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def submitted(client: TestClient) -> Dict[str, Any]:
    """One stored application: its number and the body it was created from."""
    body = application_body()
    response = client.post("/api/v1/applications", json=body, headers={**BOT, "Idempotency-Key": new_key()})
    assert response.status_code == 201, response.text
    return {"number": response.json()["number"], "body": body}
