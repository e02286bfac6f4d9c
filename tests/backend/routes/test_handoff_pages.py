"""The staff page of the live handoff: the queue, take, reply, hand back and close as the signed-in account."""
from __future__ import annotations

from fastapi.testclient import TestClient

from backend import handoffs
from reissue.knowledge import message
from tests.backend.backend_helpers import sign_in, synthetic_id

ID_NUMBER = synthetic_id("37010219900307123")
SUMMARY = {"topic": "补办申请", "fields": [{"label": "身份证号", "value": ID_NUMBER}], "asking": "手机号",
           "turns": [{"who": "user", "text": "<b>转人工</b>"}]}


def signed_in(app, client: TestClient) -> TestClient:
    """The client after the reviewer `wang` signed in through the form."""
    return sign_in(app, client, "wang")


def test_visitors_are_sent_to_the_login(client):
    assert client.get("/staff/handoffs", follow_redirects=False).status_code == 303
    assert client.post("/staff/handoffs/1/take", follow_redirects=False).status_code == 303


def test_the_queue_and_one_conversation_served_from_the_page(app, client):
    staff = signed_in(app, client)
    opened = handoffs.open_handoff(app.state.factory, "web", SUMMARY)
    queue = staff.get("/staff/handoffs")
    assert queue.status_code == 200 and f'action="/staff/handoffs/{opened.id}/take"' in queue.text
    assert "人工服务" in staff.get("/staff").text
    page = staff.post(f"/staff/handoffs/{opened.id}/take")
    assert page.status_code == 200 and message("handoff_staff_taken") in page.text
    assert "370102********" in page.text and ID_NUMBER not in page.text
    assert "&lt;b&gt;转人工&lt;/b&gt;" in page.text and "<b>转人工" not in page.text
    assert staff.post(f"/staff/handoffs/{opened.id}/take").status_code == 409
    assert staff.post(f"/staff/handoffs/{opened.id}/messages", data={"text": "  "}).status_code == 422
    replied = staff.post(f"/staff/handoffs/{opened.id}/messages", data={"text": "您好，请讲。"})
    assert replied.status_code == 200 and "工作人员：您好，请讲。" in replied.text
    released = staff.post(f"/staff/handoffs/{opened.id}/release")
    assert message("handoff_staff_released") in released.text and "已交回助手" in released.text
    events = handoffs.detail(app.state.factory, opened.id)["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("queued", "assistant"), ("taken", "wang"), ("replied", "wang"), ("released", "wang")]


def test_closing_and_unknown_conversations(app, client):
    staff = signed_in(app, client)
    opened = handoffs.open_handoff(app.state.factory, "web", SUMMARY)
    closed = staff.post(f"/staff/handoffs/{opened.id}/close")
    assert closed.status_code == 200 and message("handoff_staff_closed") in closed.text
    assert staff.post(f"/staff/handoffs/{opened.id}/close").status_code == 409
    assert staff.get("/staff/handoffs/424242").status_code == 404
    assert staff.get("/staff/handoffs/0").status_code == 404
    assert staff.post("/staff/handoffs/424242/take").status_code == 404
    assert staff.post(f"/staff/handoffs/{opened.id}/take", headers={"Origin": "http://evil.test"}).status_code == 403
