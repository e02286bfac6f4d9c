"""Idempotency under concurrent duplicate posts and compare-and-set status decisions, against a real uvicorn
server on a free loopback port."""
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from backend.app import create_app
from backend.models import Application, StatusEvent
from tests.backend.backend_helpers import BOT, STAFF, application_body, new_key

DUPLICATES = 12
DECISION_ROUNDS = 8


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live(settings) -> Iterator[tuple]:
    """(base URL, app) of a uvicorn server running the backend in a thread."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def test_concurrent_duplicates_create_exactly_one_application(live):
    base, app = live
    key = new_key()
    body = application_body()
    barrier = threading.Barrier(DUPLICATES)

    def post(_: int) -> httpx.Response:
        """Wait for every thread, then post the same application with the same key."""
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            return client.post("/api/v1/applications", json=body, headers={**BOT, "Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=DUPLICATES) as pool:
        responses = list(pool.map(post, range(DUPLICATES)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (DUPLICATES - 1) + [201], [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1
    with app.state.factory() as session:
        assert session.execute(select(func.count()).select_from(Application)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(StatusEvent)).scalar_one() == 1


def test_concurrent_distinct_keys_each_get_their_own_number(live):
    base, app = live
    barrier = threading.Barrier(8)

    def post(_: int) -> httpx.Response:
        """Post one application with its own key once every thread is ready."""
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            return client.post("/api/v1/applications", json=application_body(),
                               headers={**BOT, "Idempotency-Key": new_key()})

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(post, range(8)))
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["number"] for r in responses}) == 8


def test_of_two_concurrent_decisions_exactly_one_succeeds(live):
    base, app = live
    with httpx.Client(base_url=base, timeout=30) as client:
        numbers = []
        for _ in range(DECISION_ROUNDS):
            created = client.post("/api/v1/applications", json=application_body(),
                                  headers={**BOT, "Idempotency-Key": new_key()})
            number = created.json()["number"]
            reviewing = client.post(f"/api/v1/applications/{number}/status", json={"status": "审核中"},
                                    headers=STAFF)
            assert reviewing.status_code == 200, reviewing.text
            numbers.append(number)
    decisions = [{"status": "审核通过"}, {"status": "审核不通过", "reason": "照片不清晰"}]

    def decide(args: tuple) -> httpx.Response:
        """Wait for the other decision on the same application, then post this one."""
        number, decision, barrier = args
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            return client.post(f"/api/v1/applications/{number}/status", json=decision, headers=STAFF)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for number in numbers:
            barrier = threading.Barrier(2)
            responses = list(pool.map(decide, [(number, decision, barrier) for decision in decisions]))
            assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
            winner = next(r for r in responses if r.status_code == 200).json()
            loser = next(r for r in responses if r.status_code == 409).json()
            assert loser["error"] in ("status_changed", "illegal_transition")
            with app.state.factory() as session:
                row = session.execute(select(Application).where(Application.number == number)).scalar_one()
                events = session.execute(select(StatusEvent.to_status).where(StatusEvent.application_id == row.id)
                                         .order_by(StatusEvent.id)).scalars().all()
            assert row.status == winner["status"] and events == ["已提交", "审核中", winner["status"]]
            assert (row.review_reason is not None) == (winner["status"] == "审核不通过")
