"""The handoff API: the assistant queues, staff take, reply, hand back and close (audited), the user's side reads
and writes with the handoff's own token; every text stored masked; refusals in the project's error shape."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend import handoffs
from backend.handoff_models import Handoff, HandoffMessage
from backend.numbering import utc_now_naive
from reissue.knowledge import message
from tests.backend.backend_helpers import BOT, STAFF, synthetic_id

ID_NUMBER = synthetic_id("37010219900307123")
PHONE = "13912345678"
SUMMARY = {
    "topic": "补办申请",
    "fields": [{"label": "证书名称", "value": "一级建造师"}, {"label": "身份证号", "value": ID_NUMBER}],
    "asking": "手机号",
    "turns": [{"who": "user", "text": f"我的身份证是{ID_NUMBER}"}, {"who": "bot", "text": "请问您的手机号是？"}],
}


def open_one(client: TestClient, summary: Dict[str, Any] = SUMMARY) -> Dict[str, Any]:
    """Queue a conversation as the assistant; return the answer (id, token, ahead)."""
    response = client.post("/api/v1/handoffs", json={"channel": "web", "summary": summary}, headers=BOT)
    assert response.status_code == 201, response.text
    return response.json()


def updates(client: TestClient, opened: Dict[str, Any], after: int = 0) -> Dict[str, Any]:
    """What the user's side reads."""
    response = client.post(f"/api/v1/handoffs/{opened['id']}/updates", json={"token": opened["token"], "after": after})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_queue_entry_carries_a_masked_summary_and_the_place(client):
    first, second = open_one(client), open_one(client)
    assert (first["ahead"], second["ahead"]) == (0, 1) and len(first["token"]) >= 16
    listed = client.get("/api/v1/handoffs", params={"status": "waiting"}, headers=STAFF).json()["items"]
    assert [item["id"] for item in listed] == [first["id"], second["id"]]
    summary = listed[0]["summary"]
    assert summary["asking"] == "手机号" and summary["topic"] == "补办申请"
    assert ID_NUMBER not in str(listed) and "370102********" in str(summary["fields"]) + str(summary["turns"])
    assert updates(client, second) == {"status": "waiting", "ahead": 1, "messages": [], "callback_id": None}


def test_take_reply_release_reach_the_user_and_are_audited(client, app):
    opened = open_one(client)
    base = f"/api/v1/handoffs/{opened['id']}"
    assert client.post(f"{base}/take", headers=STAFF).json()["status"] == "taken"
    assert client.post(f"{base}/take", headers=STAFF).status_code == 409
    sent = client.post(f"/api/v1/handoffs/{opened['id']}/user-messages",
                       json={"token": opened["token"], "text": f"我的手机是{PHONE}"})
    assert sent.status_code == 202
    reply = client.post(f"{base}/messages", json={"text": "您好，我来帮您。"}, headers=STAFF)
    assert reply.status_code == 201
    seen = updates(client, opened)
    assert [m["author"] for m in seen["messages"]] == ["system", "staff"]
    assert seen["messages"][0]["text"] == message("handoff_taken") and seen["messages"][1]["text"] == "您好，我来帮您。"
    assert updates(client, opened, after=seen["messages"][-1]["id"])["messages"] == []
    released = client.post(f"{base}/release", headers=STAFF).json()
    assert released["status"] == "released"
    last = updates(client, opened)["messages"][-1]["text"]
    assert last == message("handoff_released", resume=message("handoff_resume", field="手机号"))
    assert [(e["action"], e["actor"]) for e in released["events"]] == [
        ("queued", "assistant"), ("taken", "staff-token"), ("replied", "staff-token"), ("released", "staff-token")]
    with app.state.factory() as session:
        stored = [m.text for m in session.execute(select(HandoffMessage)).scalars()]
    assert any("139****5678" in text for text in stored) and not any(PHONE in text for text in stored)
    assert client.post(f"{base}/messages", json={"text": "还在吗"}, headers=STAFF).status_code == 409


def test_the_user_saying_no_thanks_ends_it(client):
    opened = open_one(client)
    answer = client.post(f"/api/v1/handoffs/{opened['id']}/user-messages",
                         json={"token": opened["token"], "text": "不用了，谢谢"})
    assert answer.status_code == 202 and answer.json()["status"] == "closed"
    assert answer.json()["messages"][-1]["text"] == message("handoff_cancelled")
    again = client.post(f"/api/v1/handoffs/{opened['id']}/user-messages", json={"token": opened["token"], "text": "在吗"})
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert client.get("/api/v1/handoffs", params={"status": "waiting"}, headers=STAFF).json()["items"] == []


def test_nobody_taking_it_in_time_gives_the_hotline(client, app):
    opened = open_one(client)
    with app.state.factory.begin() as session:
        session.get(Handoff, opened["id"]).created_at = utc_now_naive() - timedelta(hours=1)
    seen = updates(client, opened)
    assert seen["status"] == "expired" and "12333" in seen["messages"][-1]["text"]
    assert client.post(f"/api/v1/handoffs/{opened['id']}/take", headers=STAFF).status_code == 409
    events = client.get(f"/api/v1/handoffs/{opened['id']}", headers=STAFF).json()["events"]
    assert events[-1]["action"] == "expired"


def test_a_wrong_token_looks_like_no_handoff_and_credentials_are_checked(client):
    opened = open_one(client)
    wrong = client.post(f"/api/v1/handoffs/{opened['id']}/updates", json={"token": "x" * 32})
    assert wrong.status_code == 404 and wrong.json()["message"] == message("handoff_not_found")
    assert client.post("/api/v1/handoffs/999999/updates", json={"token": opened["token"]}).status_code == 404
    assert client.get("/api/v1/handoffs").status_code == 401
    assert client.get("/api/v1/handoffs", headers=BOT).status_code == 403
    assert client.post(f"/api/v1/handoffs/{opened['id']}/take", headers=BOT).status_code == 403
    assert client.post("/api/v1/handoffs", json={"channel": "web", "summary": SUMMARY}, headers=STAFF).status_code == 403
    assert client.post("/api/v1/handoffs", json={"channel": "web", "summary": SUMMARY}).status_code == 401


@pytest.mark.parametrize("path, body", [
    ("/api/v1/handoffs/1/messages", {"text": ""}),
    ("/api/v1/handoffs/1/messages", {"text": "x" * 1001}),
    ("/api/v1/handoffs/1/messages", {"words": "hi"}),
    ("/api/v1/handoffs/0/take", None),
])
def test_bad_staff_input_is_a_polite_422(client, path, body):
    open_one(client)
    response = client.post(path, json=body, headers=STAFF) if body is not None else client.post(path, headers=STAFF)
    assert response.status_code == 422 and set(response.json()) == {"error", "message", "fields"}


def test_bad_queue_entries_and_filters_are_refused(client):
    bad = client.post("/api/v1/handoffs", json={"channel": "fax", "summary": SUMMARY}, headers=BOT)
    assert bad.status_code == 422 and "channel" in bad.json()["fields"]
    assert client.get("/api/v1/handoffs", params={"status": "lost"}, headers=STAFF).status_code == 422
    assert client.get("/api/v1/handoffs", params={"page": "2"}, headers=STAFF).status_code == 422


def test_two_staff_taking_at_once_one_wins(app):
    opened = handoffs.open_handoff(app.state.factory, "web", SUMMARY)
    handoffs.take(app.state.factory, opened.id, "wang")
    with pytest.raises(Exception) as refused:
        handoffs.take(app.state.factory, opened.id, "li")
    assert getattr(refused.value, "status_code", None) == 409
    assert handoffs.detail(app.state.factory, opened.id)["taken_by"] == "wang"


def test_old_handoffs_are_deleted_with_their_transcripts(client, app):
    from backend import retention
    from backend.handoff_models import HandoffEvent

    old, new = open_one(client), open_one(client)
    client.post(f"/api/v1/handoffs/{old['id']}/user-messages", json={"token": old["token"], "text": "您好"})
    with app.state.factory.begin() as session:
        session.get(Handoff, old["id"]).created_at = utc_now_naive() - timedelta(days=31)
    periods = retention.Periods(unanswered=None, feedback=None, orphan_photos=None, finished_applications=None,
                                handoffs=timedelta(days=30))
    swept = retention.sweep(app.state.factory, app.state.settings.upload_dir, periods, utc_now_naive())
    assert swept.handoffs == 1
    with app.state.factory() as session:
        assert [row.id for row in session.execute(select(Handoff)).scalars()] == [new["id"]]
        assert {m.handoff_id for m in session.execute(select(HandoffMessage)).scalars()} <= {new["id"]}
        assert {e.handoff_id for e in session.execute(select(HandoffEvent)).scalars()} == {new["id"]}
