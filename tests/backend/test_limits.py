"""Abuse limits a client cannot bypass: the progress-guess lockout, per-address quotas on photos and feedback, the
free-space guard, and X-Forwarded-For believed only from a trusted proxy."""
from __future__ import annotations

import io
import threading
import time
from dataclasses import replace
from typing import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from backend.__main__ import server_config
from backend.app import create_app
from reissue.knowledge import message
from reissue.settings import Settings
from tests.backend.backend_helpers import BOT, ID_A, application_body, new_key
from tests.backend.test_concurrency import free_port

FEEDBACK = {"rating": 5, "label": "非常满意"}


def small_jpeg() -> bytes:
    """A real 30×40 JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (30, 40), (200, 200, 200)).save(out, "JPEG")
    return out.getvalue()


def upload(client: TestClient, data: bytes) -> httpx.Response:
    """Post one photo."""
    return client.post("/api/v1/photos", files={"file": ("a.jpg", data, "image/jpeg")})


def wrong_guesses(right: str) -> Iterator[str]:
    """ID last-four values other than the right one."""
    return (f"{n:04d}" for n in range(10000) if f"{n:04d}" != right.upper())


@pytest.fixture
def limited(settings: Settings) -> Iterator[FastAPI]:
    """The backend with small quotas: 3 photos and 2 ratings per address per hour."""
    app = create_app(replace(settings, photo_uploads_per_hour=3, feedback_per_hour=2))
    yield app
    app.state.engine.dispose()


# --- progress lookups ------------------------------------------------------------------------------------

def progress(client: TestClient, number: str, last4: str) -> httpx.Response:
    """One progress lookup with the bot's token."""
    return client.get(f"/api/v1/applications/{number}", params={"id_last4": last4}, headers=BOT)


def test_ten_wrong_guesses_lock_that_number_for_the_rest_of_the_hour(client, submitted):
    number, right = submitted["number"], ID_A[-4:]
    guesses = wrong_guesses(right)
    for _ in range(10):
        assert progress(client, number, next(guesses)).status_code == 404
    locked = progress(client, number, right)
    assert locked.status_code == 429
    assert locked.json() == {"error": "too_many_requests", "message": message("backend_progress_locked"), "fields": {}}
    assert 3590 <= int(locked.headers["retry-after"]) <= 3600
    other = client.post("/api/v1/applications", json=application_body(), headers={**BOT, "Idempotency-Key": new_key()})
    assert progress(client, other.json()["number"], right).status_code == 200


def test_an_unknown_number_locks_exactly_like_a_known_one(client, submitted):
    answers = []
    for number in (submitted["number"], "BF2026010100000"):
        guesses = wrong_guesses(ID_A[-4:])
        for _ in range(10):
            progress(client, number, next(guesses))
        answers.append(progress(client, number, "1234"))
    assert [a.status_code for a in answers] == [429, 429] and answers[0].content == answers[1].content


def test_right_answers_do_not_count_and_loopback_is_not_exempt(app, submitted):
    local = TestClient(app, client=("127.0.0.1", 5000))
    number, right = submitted["number"], ID_A[-4:]
    for _ in range(12):
        assert progress(local, number, right).status_code == 200
    guesses = wrong_guesses(right)
    for _ in range(9):
        assert progress(local, number, next(guesses)).status_code == 404
    assert progress(local, number, right).status_code == 200
    assert progress(local, number, next(guesses)).status_code == 404
    assert progress(local, number, right).status_code == 429


# --- photo and feedback quotas ---------------------------------------------------------------------------

def test_photo_uploads_are_limited_per_address(limited):
    photo = small_jpeg()
    first = TestClient(limited, client=("203.0.113.7", 1))
    assert [upload(first, photo).status_code for _ in range(3)] == [201, 201, 201]
    refused = upload(first, photo)
    assert refused.status_code == 429 and refused.json()["message"] == message("backend_photo_quota")
    assert 3590 <= int(refused.headers["retry-after"]) <= 3600
    assert upload(TestClient(limited, client=("203.0.113.8", 1)), photo).status_code == 201
    local = TestClient(limited, client=("127.0.0.1", 1))
    assert [upload(local, photo).status_code for _ in range(5)] == [201] * 5


def test_feedback_is_limited_per_address(limited):
    first = TestClient(limited, client=("203.0.113.7", 1))
    assert [first.post("/api/v1/feedback", json=FEEDBACK).status_code for _ in range(2)] == [201, 201]
    refused = first.post("/api/v1/feedback", json=FEEDBACK)
    assert refused.status_code == 429 and refused.json()["message"] == message("backend_feedback_quota")
    assert "retry-after" in refused.headers
    assert TestClient(limited, client=("203.0.113.9", 1)).post("/api/v1/feedback", json=FEEDBACK).status_code == 201


def test_a_photo_is_refused_with_507_when_free_space_is_low(settings, tmp_path):
    app = create_app(replace(settings, upload_min_free_mb=10 ** 12))
    try:
        client = TestClient(app)
        refused = upload(client, small_jpeg())
        assert refused.status_code == 507 and refused.json()["error"] == "insufficient_storage"
        assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
        assert client.post("/api/v1/feedback", json=FEEDBACK).status_code == 201
    finally:
        app.state.engine.dispose()


def test_the_contract_documents_what_the_limits_answer(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"429", "507"} <= set(paths["/api/v1/photos"]["post"]["responses"])
    assert "429" in paths["/api/v1/feedback"]["post"]["responses"]
    assert "429" in paths["/api/v1/applications/{number}"]["get"]["responses"]


# --- the client address behind a proxy -------------------------------------------------------------------

def serve_in_thread(config: uvicorn.Config) -> Iterator[str]:
    """Run uvicorn with `config` in a thread; yields its base URL."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("trusted, limited_by_forwarded_for", [("127.0.0.1,::1", True), ("192.0.2.1", False)])
def test_forwarded_for_counts_only_from_a_trusted_proxy(settings, trusted, limited_by_forwarded_for):
    configured = replace(settings, host="127.0.0.1", backend_port=free_port(), feedback_per_hour=2,
                         trusted_proxies=trusted)
    app = create_app(configured)
    config = server_config(configured, app)
    config.lifespan, config.log_level = "off", "warning"
    try:
        for base in serve_in_thread(config):
            with httpx.Client(base_url=base, timeout=30) as client:
                forwarded = {"X-Forwarded-For": "198.51.100.23"}
                codes = [client.post("/api/v1/feedback", json=FEEDBACK, headers=forwarded).status_code for _ in range(3)]
                local = [client.post("/api/v1/feedback", json=FEEDBACK).status_code for _ in range(3)]
            assert codes == ([201, 201, 429] if limited_by_forwarded_for else [201, 201, 201])
            assert local == [201, 201, 201]
    finally:
        app.state.engine.dispose()
