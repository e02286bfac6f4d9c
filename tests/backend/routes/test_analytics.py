"""The analytics API and dashboard on SQLite and PostgreSQL: the broker's batches, the summary, CSV, the page."""
from __future__ import annotations

import csv
import io
import time
from typing import Any, Dict, List

import pytest
from fastapi.testclient import TestClient

from reissue import clock
from tests.backend.backend_helpers import BOT, STAFF, application_body, new_key, sign_in


def conversation(letter: str) -> str:
    """A conversation hash as the broker sends it."""
    return letter * 32


def scripted_events() -> List[Dict[str, Any]]:
    """Four conversations of today: an FAQ answer (web), an abstention (rest), a handoff (wechat), and an
    application that reached the confirmation and was filed (web)."""
    now = time.time() - 600
    rows: List[Dict[str, Any]] = []

    def add(letter: str, kind: str, **names: Any) -> None:
        rows.append({"conversation": conversation(letter), "kind": kind, "at": now + len(rows), **names})

    add("a", "session")
    add("a", "user", channel="web", intent="greet")
    add("a", "user", channel="web", intent="faq", topics=["newspaper", "fee"])
    add("a", "action", action="action_answer_questions")
    add("b", "user", channel="rest", intent="not_in_guide", topics=["not_in_guide"])
    add("c", "user", channel="wechat", intent="human_handoff")
    add("c", "action", action="action_handoff")
    add("d", "user", channel="web", intent="start_reissue", topics=["start_reissue"])
    add("d", "loop", loop="reissue_form")
    for field in ("reissue_reason", "ever_collected", "has_ecert", "qualification", "phone", "confirmed"):
        add("d", "requested", slot=field)
    add("d", "filed")
    add("d", "loop")
    return rows


def post_events(client: TestClient, events: List[Dict[str, Any]]):
    """Send a batch as the broker does."""
    return client.post("/api/v1/analytics/events", headers=BOT, json={"events": events})


@pytest.fixture
def recorded(client: TestClient) -> TestClient:
    """The scripted conversations, one application (Jinan) and two ratings stored."""
    assert post_events(client, scripted_events()).status_code == 201
    created = client.post("/api/v1/applications", json=application_body(), headers={**BOT, "Idempotency-Key": new_key()})
    assert created.status_code == 201
    for rating, label in ((5, "非常满意"), (1, "非常不满意")):
        assert client.post("/api/v1/feedback", json={"rating": rating, "label": label}).status_code == 201
    return client


def test_the_broker_batch_is_stored_with_the_bot_token_only(client):
    events = scripted_events()
    assert post_events(client, events).json() == {"stored": len(events)}
    assert client.post("/api/v1/analytics/events", headers=STAFF, json={"events": events}).status_code == 403
    assert client.post("/api/v1/analytics/events", json={"events": events}).status_code == 401


@pytest.mark.parametrize("change", [
    {"intent": "我的电话13800138000"},  # text can never pass for a name
    {"topics": ["身份证370102199001011234"]},
    {"text": "补办要登报吗"},  # nor ride along in a field of its own
    {"conversation": "wechat:openid-1"},  # the conversation only as its hash
    {"kind": "bot"},
    {"channel": "sms"},
])
def test_anything_but_names_and_times_is_refused(client, change):
    event = {"conversation": conversation("a"), "kind": "user", "at": time.time(), "intent": "faq", **change}
    answer = post_events(client, [event])
    assert answer.status_code == 422 and answer.json()["error"] == "validation_error"


def test_the_summary_counts_the_conversations_the_application_and_the_ratings(recorded):
    body = recorded.get("/api/v1/analytics/summary", headers=STAFF).json()
    today = clock.today().isoformat()
    assert body["to"] == today and len(body["daily"]) == 28
    assert body["daily"][-1] == {"day": today, "web": 2, "rest": 1, "wechat": 1, "total": 4}
    assert body["containment"] == {"conversations": 4, "handed_off": 1, "ended_answered": 2, "contained": 2,
                                   "rate": 0.5}
    assert body["turns"]["turns"] == 4 and body["turns"]["abstained"] == 1 and body["turns"]["abstain_rate"] == 0.25
    assert [(t["key"], t["count"]) for t in body["topics"]] == [("fee", 1), ("newspaper", 1)]
    assert [(s["step"], s["count"], s["dropped"]) for s in body["funnel"]] == [
        ("started", 1, 0), ("eligibility", 1, 0), ("data", 1, 0), ("confirmed", 1, 0), ("delivered", 1, 0)]
    assert body["funnel"][0]["label"] == "开始申请"
    assert [(c["city"], c["count"]) for c in body["cities"]] == [("济南市", 1)]
    assert sum(week["counts"]["1"] + week["counts"]["5"] for week in body["ratings"]) == 2
    assert body["followups"]["open"] == 1 and body["followups"]["overdue"] == 0


def test_a_window_in_the_past_has_none_of_it(recorded):
    body = recorded.get("/api/v1/analytics/summary", headers=STAFF,
                        params={"from": "2025-01-01", "to": "2025-01-31"}).json()
    assert body["from"] == "2025-01-01" and len(body["daily"]) == 31
    assert body["containment"]["conversations"] == 0 and body["cities"] == [] and body["funnel"][-1]["count"] == 0


@pytest.mark.parametrize("params", [{"from": "2025-02-01", "to": "2025-01-01"}, {"from": "2024-01-01", "to": "2025-12-31"},
                                    {"from": "yesterday"}, {"days": "7"}])
def test_an_impossible_window_or_an_unknown_parameter_is_a_422(client, params):
    answer = client.get("/api/v1/analytics/summary", headers=STAFF, params=params)
    assert answer.status_code == 422 and answer.json()["error"] == "validation_error"


def test_the_summary_is_for_staff(client):
    assert client.get("/api/v1/analytics/summary", headers=BOT).status_code == 403
    assert client.get("/api/v1/analytics/summary").status_code == 401
    assert client.get("/api/v1/analytics/funnel.csv", headers=BOT).status_code == 403


def test_each_table_downloads_as_csv_excel_reads(recorded):
    answer = recorded.get("/api/v1/analytics/funnel.csv", headers=STAFF)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith("\ufeff".encode("utf-8"))
    assert 'filename="analytics-funnel-' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["步骤", "人数", "流失", "流失率"] and rows[1] == ["开始申请", "1", "0", "—"]
    assert rows[-1] == ["后台收到", "1", "0", "0.0%"]
    for table in ("daily", "containment", "turns", "topics", "cities", "ratings"):
        assert recorded.get(f"/api/v1/analytics/{table}.csv", headers=STAFF).status_code == 200
    assert recorded.get("/api/v1/analytics/secrets.csv", headers=STAFF).status_code == 422


@pytest.fixture
def staff(client: TestClient, app) -> TestClient:
    """The test client signed in as the reviewer `zhao`."""
    return sign_in(app, client, "zhao")


def test_visitors_go_to_the_login_form(client):
    for path in ("/staff/analytics", "/staff/analytics/charts/daily.svg", "/staff/analytics/daily.csv"):
        assert client.get(path, follow_redirects=False).status_code == 303


def test_the_dashboard_shows_each_table_beside_its_chart_with_its_download(staff, recorded):
    page = staff.get("/staff/analytics")
    assert page.status_code == 200 and "服务情况 <kbd>Alt+O</kbd>" in page.text
    query = page.text.split('/staff/analytics/charts/daily.svg?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    for chart in ("daily", "turns", "topics", "funnel", "cities", "ratings"):
        assert f'src="/staff/analytics/charts/{chart}.svg?' in page.text
        assert f'href="/staff/analytics/{chart}.csv?' in page.text
    assert "<td>济南市</td>" in page.text and "<td>需要登报挂失吗</td>" in page.text
    assert "<dd>50.0%</dd>" in page.text  # containment
    assert "<script" not in page.text
    svg = staff.get(f"/staff/analytics/charts/funnel.svg?{query}")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "<svg" in svg.text and "开始申请" in svg.text and "<script" not in svg.text  # words kept as text
    download = staff.get(f"/staff/analytics/cities.csv?{query}")
    assert download.content.startswith("\ufeff".encode("utf-8")) and "济南市" in download.text
    assert staff.get("/staff/analytics/charts/secrets.svg").status_code == 404
    assert staff.get("/staff/analytics.css").headers["content-type"].startswith("text/css")


def test_an_impossible_window_on_the_page_says_so_and_shows_the_default(staff):
    page = staff.get("/staff/analytics", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert page.status_code == 200 and "开始日期不能晚于结束日期" in page.text
    assert f'value="{clock.today().isoformat()}"' in page.text
