"""The analytics event broker: projections carry no text or personal data, batches go out without blocking, a
failing backend costs dropped (counted) events and nothing else, and the backend takes what the broker sends."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from backend.app import create_app
from bot.analytics_broker import AnalyticsBroker, channel_of, conversation_hash, name_or_none, project
from reissue import clock
from reissue.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
KEY = b"test-analytics-key"
SENDER = "web-3f2a9c"
NAME, ID_NUMBER, PHONE, NUMBER = "张三", "370102199001011234", "13800138000", "BF20261204000123"
TEXT = f"我叫{NAME}，身份证{ID_NUMBER}，电话{PHONE}"


def rasa_events(sender: str = SENDER) -> List[Dict[str, Any]]:
    """A form turn as Rasa's tracker store streams it: text, entities, slot values, the bot's reply."""
    now = time.time()
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": now},
        {"event": "session_started", "timestamp": now},
        {"event": "user", "timestamp": now + 1, "text": TEXT, "input_channel": "rest",
         "metadata": {"channel": "web", "note": TEXT},
         "parse_data": {"text": TEXT, "intent": {"name": "inform", "confidence": 0.99},
                        "entities": [{"entity": "phone", "value": PHONE}],
                        "answer_plan": {"intent": "faq", "questions": [
                            {"label": "fee", "text": TEXT, "confidence": 0.9, "details": {"phone": PHONE}},
                            {"label": TEXT, "text": TEXT}]}}},
        {"event": "action", "name": "reissue_form", "timestamp": now + 2},
        {"event": "slot", "name": "applicant_name", "value": NAME, "timestamp": now + 2},
        {"event": "slot", "name": "id_number", "value": ID_NUMBER, "timestamp": now + 2},
        {"event": "slot", "name": "requested_slot", "value": "cert_number", "timestamp": now + 2},
        {"event": "slot", "name": "requested_slot", "value": TEXT, "timestamp": now + 2},
        {"event": "bot", "text": f"好的，{NAME}，电话{PHONE}", "timestamp": now + 3},
        {"event": "active_loop", "name": "reissue_form", "timestamp": now + 3},
        {"event": "slot", "name": "application_number", "value": NUMBER, "timestamp": now + 4},
        {"event": "action", "name": "action_listen", "timestamp": now + 5},
    ]
    return [{"sender_id": sender, **event} for event in events]


def test_a_projection_holds_names_and_times_but_no_text_or_personal_data():
    projected = [p for p in (project(e, KEY) for e in rasa_events()) if p]
    dumped = json.dumps(projected, ensure_ascii=False)
    for secret in (NAME, ID_NUMBER, PHONE, NUMBER, "身份证", SENDER, "note"):
        assert secret not in dumped
    assert [p["kind"] for p in projected] == ["action", "session", "user", "action", "requested", "requested", "loop",
                                              "filed"]
    user = projected[2]
    assert user["intent"] == "inform" and user["topics"] == ["fee"] and user["channel"] == "web"
    assert projected[4]["slot"] == "cert_number" and projected[5]["slot"] is None  # not a name: left out
    assert set(user) == {"conversation", "channel", "at", "kind", "intent", "topics"}


def test_the_conversation_is_a_keyed_hash():
    assert conversation_hash(SENDER, KEY) == conversation_hash(SENDER, KEY)
    assert conversation_hash(SENDER, KEY) != conversation_hash(SENDER, b"another-key")
    assert len(conversation_hash(SENDER, KEY)) == 32 and SENDER not in conversation_hash(SENDER, KEY)


@pytest.mark.parametrize("event, channel", [
    ({"sender_id": "wechat:o123", "event": "action"}, "wechat"),
    ({"sender_id": "wechat:o123", "event": "user", "metadata": {"channel": "web"}}, "wechat"),
    ({"sender_id": "web-1", "event": "user", "input_channel": "rest", "metadata": {"channel": "web"}}, "web"),
    ({"sender_id": "e2e-1", "event": "user", "input_channel": "rest", "metadata": {"channel": "rest"}}, "rest"),
    ({"sender_id": "e2e-1", "event": "user", "input_channel": "rest"}, "rest"),
    ({"sender_id": "x", "event": "user", "input_channel": "cmdline"}, None),
    ({"sender_id": "web-1", "event": "action"}, None),
])
def test_the_channel_comes_from_the_namespace_and_the_server_set_metadata(event, channel):
    assert channel_of(event) == channel


@pytest.mark.parametrize("value, kept", [("faq", True), ("utter_ask_city", True), ("out_of_scope:other", True),
                                         ("证书", False), ("13800138000", False), ("two words", False), (42, False),
                                         ("a" * 65, False)])
def test_only_identifiers_pass_as_names(value, kept):
    assert (name_or_none(value) == value) is kept


class Recorder:
    """An httpx transport standing in for the backend: records each batch, answers `status`."""

    def __init__(self, status: int = 201, hold: bool = False) -> None:
        """Answer `status`; with `hold`, wait for `release` before answering."""
        self.status, self.batches, self.attempts = status, [], 0
        self.arrived, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Record and answer one request."""
        self.attempts += 1
        self.arrived.set()
        self.release.wait(10)
        body = json.loads(request.content)
        if self.status == 201:
            self.batches.append(body["events"])
        return httpx.Response(self.status, json={"stored": len(body["events"])})

    def broker(self, **options: Any) -> AnalyticsBroker:
        """A broker sending through this transport."""
        return AnalyticsBroker("http://backend.test", "bot-token", "key", flush_s=0.05,
                               client_factory=lambda: httpx.Client(transport=httpx.MockTransport(self.handle)),
                               **options)


async def test_events_go_out_in_small_batches_and_close_sends_the_rest():
    recorder = Recorder()
    broker = recorder.broker(batch_size=40)
    for n in range(100):
        broker.publish({"sender_id": f"web-{n % 7}", "event": "user", "timestamp": time.time(),
                        "parse_data": {"intent": {"name": "faq"}}})
    await broker.close()
    assert sum(len(batch) for batch in recorder.batches) == 100 and broker.sent == 100 and broker.dropped == 0
    assert broker.health() == {"sent": 100, "dropped": 0, "failing": False, "queued": 0}
    assert max(len(batch) for batch in recorder.batches) <= 40


async def test_a_failing_backend_costs_counted_events_after_one_more_try(caplog):
    recorder = Recorder(status=503)
    broker = recorder.broker()
    broker.publish(rasa_events()[2])
    while not recorder.attempts:
        time.sleep(0.01)
    broker.publish(rasa_events()[2])
    await broker.close()
    assert broker.dropped == 2 and broker.sent == 0 and recorder.attempts == 4  # two batches, two tries each
    assert "dropped 1 events (HTTP 503)" in caplog.text and PHONE not in caplog.text
    assert caplog.text.count("analytics: dropped") == 1  # said once, not per batch
    assert broker.health() == {"sent": 0, "dropped": 2, "failing": True, "queued": 0}


async def test_a_refused_batch_is_not_tried_again():
    recorder = Recorder(status=422)
    broker = recorder.broker()
    broker.publish(rasa_events()[2])
    await broker.close()
    assert recorder.attempts == 1 and broker.dropped == 1


async def test_publish_never_waits_for_the_backend_and_drops_what_does_not_fit():
    recorder = Recorder(hold=True)
    broker = recorder.broker(batch_size=1, queue_max=2)
    event = rasa_events()[2]
    broker.publish(event)
    assert recorder.arrived.wait(5)  # the first batch is being sent, and the backend does not answer
    started = time.monotonic()
    for _ in range(5):
        broker.publish(event)
    elapsed = time.monotonic() - started
    assert broker.dropped == 3 and elapsed < 1.0  # two queued, three dropped at once
    broker.publish({"event": "user"})  # no sender: nothing to project, nothing raised
    recorder.release.set()
    await broker.close()
    assert broker.sent == 3


async def test_the_backend_stores_what_the_broker_sends_and_counts_it(tmp_path):
    settings = replace(get_settings(), database_url=f"sqlite:///{tmp_path / 'backend.sqlite'}",
                       backend_token="bot-token", staff_token="staff-token")
    app = create_app(settings)
    try:
        broker = AnalyticsBroker("http://testserver", "bot-token", "key", flush_s=0.05,
                                 client_factory=lambda: TestClient(app))
        for sender in ("web-a", "wechat:o-b"):
            for event in rasa_events(sender):
                broker.publish(event)
        await broker.close()
        assert broker.sent == 16 and broker.dropped == 0
        summary = TestClient(app).get("/api/v1/analytics/summary", headers={"Authorization": "Bearer staff-token"})
        body = summary.json()
        assert body["daily"][-1]["day"] == clock.today().isoformat()
        assert body["daily"][-1]["web"] == 1 and body["daily"][-1]["wechat"] == 1
        assert body["funnel"][0]["count"] == 2 and body["funnel"][3]["count"] == 2
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "config/scaled/endpoints.yml"])
async def test_both_shapes_name_the_broker_and_rasa_builds_it_from_the_settings(endpoints, monkeypatch):
    config = yaml.safe_load((ROOT / endpoints).read_text(encoding="utf-8"))["event_broker"]
    assert config == {"type": "bot.analytics_broker.AnalyticsBroker"}
    monkeypatch.setenv("ANALYTICS_URL", "http://backend.test:18000/")
    monkeypatch.setenv("REISSUE_BACKEND_TOKEN", "bot-secret")
    broker = await EventBroker.create(EndpointConfig(**config))
    assert isinstance(broker, AnalyticsBroker) and broker.url == "http://backend.test:18000" + "/api/v1/analytics/events"
    assert broker.headers == {"Authorization": "Bearer bot-secret"} and broker.key == b"dev-analytics-key"

