"""The WeChat side of the handoff kept in the backend: any worker finds a conversation's handoff by its id (kept as an
HMAC), every staff and system message is handed to exactly one poller, an undelivered reply shows to staff and owes
the user one notice with the hotline, and the callback offer is answered through the same relay."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.callback_models import Callback
from backend.handoff_models import Handoff
from backend.numbering import utc_now_naive
from reissue.knowledge import message
from tests.backend.backend_helpers import BOT, STAFF

OPENID = "oUser-0123456789abcdef"
CONVERSATION = f"wechat:{OPENID}"
SUMMARY = {"topic": "政策咨询", "fields": [], "asking": "", "turns": [{"who": "user", "text": "转人工"}]}
PHONE = "13912345678"


def open_wechat(client: TestClient) -> Dict[str, Any]:
    """Queue a WeChat conversation as the channel does."""
    response = client.post("/api/v1/handoffs", headers=BOT, json={
        "channel": "wechat", "summary": SUMMARY, "conversation": CONVERSATION, "address": OPENID})
    assert response.status_code == 201, response.text
    return response.json()


def relay(client: TestClient, text: str) -> Dict[str, Any]:
    """The user's words as the channel relays them."""
    response = client.post("/api/v1/channel-handoffs/relay", json={"conversation": CONVERSATION, "text": text}, headers=BOT)
    assert response.status_code == 200, response.text
    return response.json()


def claim(client: TestClient) -> Dict[str, Any]:
    """One poller's claim."""
    response = client.post("/api/v1/channel-handoffs/claim", headers=BOT)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_conversation_is_found_by_any_worker_and_stored_only_as_an_hmac(client, app):
    opened = open_wechat(client)
    assert relay(client, "您好，在吗") == {"route": "person", "handoff_id": opened["id"], "replies": []}
    with app.state.factory() as session:
        row = session.get(Handoff, opened["id"])
        assert row.conversation_hash and OPENID not in row.conversation_hash and OPENID not in (row.address_sealed or "")
    transcript = client.get(f"/api/v1/handoffs/{opened['id']}", headers=STAFF).json()["messages"]
    assert [(m["author"], m["text"]) for m in transcript] == [("user", "您好，在吗")]
    other = client.post("/api/v1/channel-handoffs/relay", json={"conversation": "wechat:someone-else", "text": "你好"},
                        headers=BOT).json()
    assert other["route"] == "assistant"


def test_each_message_is_handed_to_one_poller_once(client):
    opened = open_wechat(client)
    assert claim(client) == {"items": [], "open": 1}
    client.post(f"/api/v1/handoffs/{opened['id']}/take", headers=STAFF)
    client.post(f"/api/v1/handoffs/{opened['id']}/messages", json={"text": "您好，请讲。"}, headers=STAFF)
    first, second = claim(client), claim(client)
    assert [(i["address"], i["text"]) for i in first["items"]] == [(OPENID, message("handoff_taken")), (OPENID, "您好，请讲。")]
    assert second == {"items": [], "open": 1}
    report = client.post("/api/v1/channel-handoffs/report", headers=BOT,
                         json={"results": [{"id": i["id"], "delivered": True} for i in first["items"]]})
    assert report.json() == {"recorded": 2}
    again = client.post("/api/v1/channel-handoffs/report", headers=BOT,
                        json={"results": [{"id": first["items"][0]["id"], "delivered": False}]})
    assert again.json() == {"recorded": 0}
    client.post(f"/api/v1/handoffs/{opened['id']}/close", headers=STAFF)
    last = claim(client)
    assert [i["text"] for i in last["items"]] == [message("handoff_closed")] and last["open"] == 0


def test_an_undelivered_reply_shows_to_staff_and_the_user_is_told_the_hotline_once(client):
    opened = open_wechat(client)
    client.post(f"/api/v1/handoffs/{opened['id']}/take", headers=STAFF)
    client.post(f"/api/v1/handoffs/{opened['id']}/messages", json={"text": "材料收到了吗？"}, headers=STAFF)
    items = claim(client)["items"]
    client.post("/api/v1/channel-handoffs/report", headers=BOT,
                json={"results": [{"id": items[0]["id"], "delivered": True}, {"id": items[1]["id"], "delivered": False}]})
    transcript = client.get(f"/api/v1/handoffs/{opened['id']}", headers=STAFF).json()["messages"]
    assert [m["undelivered"] for m in transcript] == [False, True]
    answer = relay(client, "我回来了")
    assert answer["route"] == "person"
    assert answer["replies"] == [message("handoff_undelivered") + "\n" + message("handoff")] and "12333" in answer["replies"][0]
    assert relay(client, "还在吗")["replies"] == []
    assert client.get(f"/api/v1/handoffs/{opened['id']}", headers=STAFF).json()["messages"][1]["undelivered"] is True


def test_the_notice_is_owed_even_when_the_handoff_ended_meanwhile(client):
    opened = open_wechat(client)
    client.post(f"/api/v1/handoffs/{opened['id']}/take", headers=STAFF)
    client.post(f"/api/v1/handoffs/{opened['id']}/close", headers=STAFF)
    items = claim(client)["items"]
    client.post("/api/v1/channel-handoffs/report", headers=BOT,
                json={"results": [{"id": i["id"], "delivered": False} for i in items]})
    answer = relay(client, "你好")
    assert answer["route"] == "assistant" and len(answer["replies"]) == 1 and "12333" in answer["replies"][0]


def test_waiting_too_long_expires_on_the_pollers_claim_and_the_callback_is_answered_by_relay(client, app):
    opened = open_wechat(client)
    with app.state.factory.begin() as session:
        session.get(Handoff, opened["id"]).created_at = utc_now_naive() - timedelta(hours=1)
    pushed = claim(client)
    assert pushed["open"] == 0 and len(pushed["items"]) == 1
    assert pushed["items"][0]["text"].endswith(message("callback_offer", days=7))
    assert relay(client, "好的")["replies"] == [message("callback_ask_number")]
    kept = relay(client, PHONE)
    assert kept["route"] == "callback" and "139****5678" in kept["replies"][0] and PHONE not in str(kept)
    assert relay(client, "补办要钱吗")["route"] == "assistant"
    with app.state.factory() as session:
        row = session.execute(select(Callback)).scalars().one()
        assert (row.status, row.channel, row.handoff_id, row.phone_masked) == ("open", "wechat", opened["id"], "139****5678")


def test_a_user_writing_after_the_wait_gets_the_offer_at_once(client, app):
    opened = open_wechat(client)
    with app.state.factory.begin() as session:
        session.get(Handoff, opened["id"]).created_at = utc_now_naive() - timedelta(hours=1)
    answer = relay(client, "怎么还没人")
    assert answer["route"] == "callback" and answer["replies"][-1].endswith(message("callback_offer", days=7))
    assert claim(client)["items"] == []  # said in the answer, not pushed again


def test_the_bot_credential_is_required(client):
    for path in ("/api/v1/channel-handoffs/claim", "/api/v1/channel-handoffs/report", "/api/v1/channel-handoffs/relay"):
        assert client.post(path, json={}, headers=STAFF).status_code == 403
        assert client.post(path, json={}).status_code == 401
    assert client.post("/api/v1/channel-handoffs/relay", json={"conversation": "", "text": "x"}, headers=BOT).status_code == 422
