"""Scale-out against the real services: two Rasa processes share a PostgreSQL tracker store and a Redis lock store.

Both processes run `config/scaled/endpoints.yml` on a throw-away PostgreSQL database and Redis key prefix,
with the session stack's action server and backend. A conversation spread over both stays intact, a burst
of one sender is serialised, a process killed and restarted mid-form is invisible, and a failing tracker
store is logged loudly and shown by the health check.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List

import psycopg2
import pytest
import redis
import requests

from bot.stores import EventSealer
from reissue import knowledge
from scripts.bench import admin_sql as admin
from scripts.stack import Stack
from tests.e2e.applicant import APPLICATION, dialogue, synthetic_id
from tests.e2e.conftest import keep_dump
from tests.e2e.test_fuzz import assert_fuzz_outcome, make_plan, run_fuzz

PORTS = (15105, 15205)


@dataclass
class Scaled:
    """Two Rasa processes sharing stores, and how to reach them."""

    a: Stack
    b: Stack
    database: str
    token: str

    def url(self, which: int) -> str:
        """Base URL of process 0 (a) or 1 (b)."""
        return f"http://127.0.0.1:{PORTS[which]}"

    def post(self, which: int, sender: str, text: str) -> List[Dict[str, Any]]:
        """One message to one process; the replies (asserting HTTP 200)."""
        response = requests.post(f"{self.url(which)}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=90)
        assert response.status_code == 200, response.text
        return response.json()

    def texts(self, which: int, sender: str, text: str) -> str:
        """The reply texts of one message, joined."""
        return "\n".join(m.get("text", "") for m in self.post(which, sender, text) if m.get("text"))

    def events(self, sender: str) -> List[Dict[str, Any]]:
        """The sender's events straight from PostgreSQL (their sealed data opened), in insertion order."""
        connection = psycopg2.connect(f"postgresql://postgres@127.0.0.1:5432/{self.database}")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
                return [json.loads(EventSealer.from_settings().open(row[0])) for row in cursor.fetchall()]
        finally:
            connection.close()

    def tracker_events(self, which: int, sender: str) -> List[Dict[str, Any]]:
        """The tracker's events as one process serves them over the HTTP API."""
        response = requests.get(f"{self.url(which)}/conversations/{sender}/tracker", params={"token": self.token}, timeout=30)
        response.raise_for_status()
        return response.json()["events"]


@pytest.fixture(scope="module")
def scaled(stack) -> Iterator[Scaled]:
    """Two Rasa processes on the scaled endpoints, a fresh database and Redis prefix; cleaned up after."""
    suffix = uuid.uuid4().hex[:10]
    database, prefix = f"reissue_e2e_{suffix}", f"e2e{suffix}"
    admin(f"CREATE DATABASE {database}")
    stacks: List[Stack] = []
    for index, port in enumerate(PORTS):
        env = dict(stack.stack.env)
        env.update({
            "RASA_PORT": str(port), "RASA_ENDPOINTS": "config/scaled/endpoints.yml", "SANIC_WORKERS": "1",
            "TRACKER_STORE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": "1", "LOCK_KEY_PREFIX": prefix,
            "RATE_LIMIT_REDIS_URL": "redis://127.0.0.1:6379/2",
        })
        scaled_stack = Stack.from_environment(env, parts=["rasa"])
        scaled_stack.log_dir = stack.stack.log_dir / f"scaled-{'ab'[index]}"
        stacks.append(scaled_stack)
    try:
        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(s.start, 400) for s in stacks]:
                future.result()
        yield Scaled(a=stacks[0], b=stacks[1], database=database, token=stack.rasa_token)
    finally:
        for scaled_stack in stacks:
            scaled_stack.stop()
        keep_dump(stack, database)
        admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        client = redis.Redis(host="127.0.0.1", port=6379, db=1)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def user_texts(events: List[Dict[str, Any]]) -> List[str]:
    """The texts of the user events, in order."""
    return [e.get("text") for e in events if e.get("event") == "user"]


def assert_turns_not_interleaved(events: List[Dict[str, Any]]) -> None:
    """Every user event is followed by its own turn, closed by action_listen, before the next user event."""
    open_turn = False
    for event in events:
        if event.get("event") == "user":
            assert not open_turn, "a user message started before the previous turn finished"
            open_turn = True
        elif event.get("event") == "action" and event.get("name") == "action_listen":
            open_turn = False
    # Rasa stamps an action's own ActionExecuted after the events the action returned, so only the user
    # messages (stamped when parsed, inside the conversation lock) must be in time order.
    stamps = [e["timestamp"] for e in events if e.get("event") == "user"]
    assert stamps == sorted(stamps), "user messages are out of time order"


def assert_no_doubles(events: List[Dict[str, Any]]) -> None:
    """No event was stored twice."""
    keys = [json.dumps(e, sort_keys=True) for e in events]
    assert len(keys) == len(set(keys)), "an event was stored twice"


def test_both_processes_use_the_shared_sql_store(scaled: Scaled) -> None:
    """The health check names the PostgreSQL database (not Rasa's silent in-memory fallback)."""
    for which in (0, 1):
        report = requests.get(f"{scaled.url(which)}/webhooks/rest/health", params={"token": scaled.token}, timeout=10).json()
        assert report["status"] == "ok" and report["tracker_store"] == f"sql:postgresql/{scaled.database}"


def test_conversation_alternating_between_processes_stays_intact(scaled: Scaled, stack) -> None:
    """A whole application, each message to the other process: every prompt right, events complete and in order."""
    sender = f"scaled-{uuid.uuid4().hex[:10]}"
    id_number = synthetic_id()
    steps = dialogue(id_number) + [("确认提交", "申请编号")]
    for turn, (message, expected) in enumerate(steps):
        reply = scaled.texts(turn % 2, sender, message)
        assert expected in reply, f"turn {turn} on process {'ab'[turn % 2]}: expected {expected!r}, got {reply!r}"
    number = APPLICATION.search(reply).group(1)
    events = scaled.events(sender)
    assert user_texts(events) == [m for m, _ in steps]
    assert_no_doubles(events)
    assert_turns_not_interleaved(events)
    assert scaled.tracker_events(0, sender) == scaled.tracker_events(1, sender)
    assert [a["number"] for a in stack.backend_applications(id_number)] == [number]


def test_burst_of_one_sender_over_both_processes_is_serialised(scaled: Scaled) -> None:
    """Six messages of one sender at once, three to each process: six real replies, six turns, none mixed."""
    sender = f"burst-{uuid.uuid4().hex[:10]}"
    questions = ["补办要登报吗", "补办要交钱吗", "多久能办好", "需要带什么材料", "可以网上办吗", "在哪里办理"]
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda item: scaled.texts(item[0] % 2, sender, item[1]), enumerate(questions)))
    sorry, slow_down = knowledge.message("channel_sorry"), knowledge.message("channel_slow_down")
    assert all(reply and sorry not in reply and slow_down not in reply for reply in replies), replies
    events = scaled.events(sender)
    assert sorted(user_texts(events)) == sorted(questions)
    assert_no_doubles(events)
    assert_turns_not_interleaved(events)


def test_process_killed_mid_form_is_invisible(scaled: Scaled, stack) -> None:
    """Process a is killed (SIGKILL) mid-form; b carries on; a comes back and finishes from the shared store."""
    sender = f"restart-{uuid.uuid4().hex[:10]}"
    id_number = synthetic_id()
    steps = dialogue(id_number)
    for message, expected in steps[:4]:
        assert expected in scaled.texts(0, sender, message)
    restarted = threading.Thread(target=scaled.a.restart, args=("rasa", 400))
    restarted.start()
    time.sleep(1.0)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{scaled.url(0)}/webhooks/rest/webhook", json={"sender": sender, "message": "在吗"}, timeout=5)
    for message, expected in steps[4:7]:  # a load balancer sends these to the live process
        assert expected in scaled.texts(1, sender, message)
    restarted.join(timeout=420)
    assert not restarted.is_alive()
    for message, expected in steps[7:]:
        assert expected in scaled.texts(0, sender, message), message
    number = APPLICATION.search(scaled.texts(0, sender, "确认提交")).group(1)
    events = scaled.events(sender)
    assert user_texts(events) == [m for m, _ in steps] + ["确认提交"]
    assert_no_doubles(events)
    assert [a["number"] for a in stack.backend_applications(id_number)] == [number]


def test_outbox_on_postgresql_takes_the_submit_actions_keys(scaled: Scaled) -> None:
    """An outbox on PostgreSQL (OUTBOX_URL may point there) stores an application under the submit action's key."""
    from rasa_sdk import Tracker

    from actions.services.outbox import Outbox
    from actions.submit import build_application, idempotency_key

    events = [{"event": "user", "timestamp": time.time(), "message_id": uuid.uuid4().hex, "text": "确认提交"}]
    tracker = Tracker(f"outbox-{uuid.uuid4().hex[:8]}", {}, {}, events, False, None, {}, None)
    key = idempotency_key(tracker)
    application = build_application({"applicant_name": "张三", "reissue_reason": "lost"}, "rest", tracker.sender_id)
    box = Outbox(f"postgresql://postgres@127.0.0.1:5432/{scaled.database}")
    item = box.put(application, key)
    assert item.key == key and box.get(key) is not None


async def test_fuzz_5000_messages_over_three_processes(scaled: Scaled, stack) -> None:
    """The full fuzz plan (tests/e2e/test_fuzz.py), each conversation on one of three Rasa processes."""
    plan = make_plan()
    urls = [f"{base}/webhooks/rest/webhook" for base in (stack.rasa_url, scaled.url(0), scaled.url(1))]
    outcome = await run_fuzz(urls, plan)
    print(f"fuzz: {outcome.sent} requests, statuses {dict(outcome.statuses)}")
    assert_fuzz_outcome(outcome, plan)
    for running in (stack.stack, scaled.a, scaled.b):
        assert running.service("rasa").process.poll() is None, "a Rasa process died during fuzzing"
    assert stack.stack.service("actions").process.poll() is None, "the action server died during fuzzing"
    for which in (0, 1):
        assert scaled.texts(which, f"after-fuzz-{uuid.uuid4().hex[:6]}", "补办要登报吗")


def test_tracker_store_failure_is_loud_and_shown_by_health(scaled: Scaled) -> None:
    """The database refuses connections: replies still come, but the log says so at ERROR and health is 503."""
    sender = f"dbdown-{uuid.uuid4().hex[:10]}"
    health_url = f"{scaled.url(0)}/webhooks/rest/health"
    log = scaled.a.service("rasa").log_path
    log_before = log.read_text(errors="replace").count("TRACKER STORE FAILURE")
    admin(f"ALTER DATABASE {scaled.database} ALLOW_CONNECTIONS false")
    admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{scaled.database}'")
    try:
        reply = scaled.texts(0, sender, "补办要登报吗")
        assert reply, "no reply while the tracker store is down"
        down = requests.get(health_url, params={"token": scaled.token}, timeout=15)
        assert down.status_code == 503 and down.json()["status"] == "failing"
        assert down.json()["stores"][0]["failures"] >= 1 and down.json()["stores"][0]["last_error"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and log.read_text(errors="replace").count("TRACKER STORE FAILURE") == log_before:
            time.sleep(0.5)
        failures = [line for line in log.read_text(errors="replace").splitlines() if "TRACKER STORE FAILURE" in line]
        assert len(failures) > log_before and any("ERROR" in line for line in failures[log_before:])
    finally:
        admin(f"ALTER DATABASE {scaled.database} ALLOW_CONNECTIONS true")
    deadline, status = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        answer = requests.get(health_url, params={"token": scaled.token}, timeout=15)
        status = (answer.status_code, answer.json()["status"])
        if status == (200, "degraded"):
            break
        time.sleep(1)
    assert status == (200, "degraded"), status
