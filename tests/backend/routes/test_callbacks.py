"""Callback numbers: offered outside staffed hours or when nobody took the conversation in time, consent first, the
number checked, kept masked (sealed at rest) and never shown whole by any page, API answer or log but the answer to a
signed-in account's audited, throttled reveal; staff record the call (audited) and the number is deleted then, or
after CALLBACK_RETENTION_DAYS."""
from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any, Dict, List, Tuple

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend import callbacks, retention
from backend.callback_models import Callback, CallbackEvent
from backend.handoff_models import Handoff
from backend.models import ThrottleAttempt
from backend.numbering import utc_now_naive
from reissue.knowledge import message
from tests.backend.backend_helpers import BOT, STAFF, sign_in, synthetic_id

PHONE = "13912345678"
ID_NUMBER = synthetic_id("37010219900307123")
SUMMARY = {"topic": "补办申请（填写中）", "fields": [{"label": "身份证号", "value": ID_NUMBER}], "asking": "证书管理号",
           "turns": [{"who": "user", "text": "转人工"}]}


def offer(client: TestClient, **extra: Any) -> Dict[str, Any]:
    """Offer a callback as the assistant; the answer (id, token)."""
    response = client.post("/api/v1/callbacks", json={"channel": "web", "summary": SUMMARY, **extra}, headers=BOT)
    assert response.status_code == 201, response.text
    return response.json()


def say(client: TestClient, offered: Dict[str, Any], text: str) -> Dict[str, Any]:
    """The user's words to the offer."""
    response = client.post(f"/api/v1/callbacks/{offered['id']}/user-messages",
                           json={"token": offered["token"], "text": text})
    assert response.status_code == 200, response.text
    return response.json()


def leave_number(client: TestClient) -> Dict[str, Any]:
    """An offer answered yes and then with the number."""
    offered = offer(client)
    assert say(client, offered, "好的")["status"] == "asking"
    assert say(client, offered, PHONE)["status"] == "open"
    return offered


def test_consent_then_the_number_confirmed_masked_and_sealed_at_rest(client, app):
    offered = offer(client)
    asked = say(client, offered, "好的")
    assert asked == {"status": "asking", "messages": [{"text": message("callback_ask_number")}], "passthrough": False}
    wrong = say(client, offered, "1391234567")
    assert wrong["status"] == "asking" and message("callback_ask_again") in wrong["messages"][0]["text"]
    kept = say(client, offered, PHONE)
    assert kept["status"] == "open" and "139****5678" in kept["messages"][0]["text"]
    assert kept["messages"][0]["text"].endswith(message("handoff_resume", field="证书管理号"))
    with app.state.factory() as session:
        row = session.execute(select(Callback)).scalars().one()
        assert row.phone_masked == "139****5678" and PHONE not in row.phone_sealed and PHONE not in row.summary
        assert callbacks.unseal_phone(row.phone_sealed, app.state.settings.backend_id_secret) == PHONE
        assert ID_NUMBER not in row.summary
    ended = say(client, offered, "13800138000")
    assert ended == {"status": "open", "messages": [], "passthrough": True}


def test_no_thanks_or_something_else_leaves_no_number(client, app):
    declined = offer(client)
    answer = say(client, declined, "不用了")
    assert answer["status"] == "declined" and answer["messages"][0]["text"].startswith(message("callback_declined"))
    other = offer(client)
    assert say(client, other, "补办要交钱吗") == {"status": "declined", "messages": [], "passthrough": True}
    with app.state.factory() as session:
        assert all(row.phone_sealed is None for row in session.execute(select(Callback)).scalars())
    assert client.get("/api/v1/callbacks", headers=STAFF).json()["items"] == []


def test_an_offer_gone_stale_no_longer_catches_the_words(client, app):
    offered = offer(client)
    with app.state.factory.begin() as session:
        session.get(Callback, offered["id"]).created_at = utc_now_naive() - timedelta(hours=1)
    assert say(client, offered, "好的") == {"status": "offered", "messages": [], "passthrough": True}


def test_nobody_taking_the_handoff_offers_a_callback_answered_with_the_handoffs_token(client, app):
    opened = client.post("/api/v1/handoffs", json={"channel": "web", "summary": SUMMARY}, headers=BOT).json()
    with app.state.factory.begin() as session:
        session.get(Handoff, opened["id"]).created_at = utc_now_naive() - timedelta(hours=1)
    seen = client.post(f"/api/v1/handoffs/{opened['id']}/updates", json={"token": opened["token"]}).json()
    assert seen["status"] == "expired" and isinstance(seen["callback_id"], int)
    notice = seen["messages"][-1]["text"]
    assert message("handoff_expired") in notice and "12333" in notice and notice.endswith(callbacks.rules.offer_text(7))
    offered = {"id": seen["callback_id"], "token": opened["token"]}
    assert say(client, offered, f"可以，{PHONE}")["status"] == "open"
    listed = client.get("/api/v1/callbacks", params={"status": "open"}, headers=STAFF).json()["items"]
    assert [(c["id"], c["reason"], c["handoff_id"], c["phone"]) for c in listed] == [
        (offered["id"], "unanswered", opened["id"], "139****5678")]
    assert listed[0]["summary"]["asking"] == "证书管理号" and listed[0]["delete_by"] is not None
    again = client.post(f"/api/v1/handoffs/{opened['id']}/updates", json={"token": opened["token"]}).json()
    assert again["callback_id"] is None
    assert client.post(f"/api/v1/callbacks/{offered['id']}/user-messages",
                       json={"token": "x" * 32, "text": "好的"}).status_code == 404


def test_staff_record_the_call_audited_and_the_number_is_deleted(client, app):
    offered = leave_number(client)
    base = f"/api/v1/callbacks/{offered['id']}"
    recorded = client.post(base, json={"reached": True, "note": f"已回电，用户改用{PHONE}以外的号码"}, headers=STAFF)
    assert recorded.status_code == 200, recorded.text
    body = recorded.json()
    assert body["status"] == "done" and body["reached"] is True and body["recorded_by"] == "staff-token"
    assert body["phone"] == "*******5678" and PHONE not in body["note"] and body["number_deleted_at"]
    assert [(e["action"], e["actor"]) for e in body["events"]] == [
        ("offered", "assistant"), ("consented", "user"), ("numbered", "user"), ("recorded", "staff-token")]
    with app.state.factory() as session:
        assert session.get(Callback, offered["id"]).phone_sealed is None
    again = client.post(base, json={"reached": False}, headers=STAFF)
    assert again.status_code == 409 and again.json()["message"] == message("callback_not_open")
    assert client.get("/api/v1/callbacks", headers=STAFF).json()["items"] == []
    assert [c["id"] for c in client.get("/api/v1/callbacks", params={"status": "done"}, headers=STAFF).json()["items"]] \
        == [offered["id"]]


def test_credentials_and_bad_input(client):
    offered = leave_number(client)
    assert client.get("/api/v1/callbacks").status_code == 401
    assert client.get("/api/v1/callbacks", headers=BOT).status_code == 403
    assert client.post(f"/api/v1/callbacks/{offered['id']}", json={"reached": True}, headers=BOT).status_code == 403
    assert client.post("/api/v1/callbacks", json={"channel": "web", "summary": SUMMARY}, headers=STAFF).status_code == 403
    assert client.get("/api/v1/callbacks/424242", headers=STAFF).status_code == 404
    assert client.get("/api/v1/callbacks", params={"status": "lost"}, headers=STAFF).status_code == 422
    for body in ({"note": "x"}, {"reached": True, "note": "x" * 501}):
        refused = client.post(f"/api/v1/callbacks/{offered['id']}", json=body, headers=STAFF)
        assert refused.status_code == 422 and set(refused.json()) == {"error", "message", "fields"}


def test_a_number_never_called_is_deleted_after_the_retention(client, app):
    old, new = leave_number(client), leave_number(client)
    with app.state.factory.begin() as session:
        session.get(Callback, old["id"]).numbered_at = utc_now_naive() - timedelta(days=8)
    periods = retention.Periods.from_settings(app.state.settings)
    assert periods.callback_numbers == timedelta(days=7)
    swept = retention.sweep(app.state.factory, app.state.settings.upload_dir, periods, utc_now_naive())
    assert swept.callback_numbers == 1
    with app.state.factory() as session:
        lapsed, kept = session.get(Callback, old["id"]), session.get(Callback, new["id"])
        assert (lapsed.status, lapsed.phone_sealed, lapsed.phone_masked) == ("lapsed", None, "*******5678")
        assert kept.status == "open" and kept.phone_sealed
    assert [c["id"] for c in client.get("/api/v1/callbacks", headers=STAFF).json()["items"]] == [new["id"]]
    with app.state.factory.begin() as session:
        session.get(Callback, old["id"]).created_at = utc_now_naive() - timedelta(days=31)
    assert retention.sweep(app.state.factory, app.state.settings.upload_dir, periods, utc_now_naive()).callbacks == 1


def test_the_number_never_appears_whole_in_a_page_an_api_answer_or_a_log(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    offered = offer(client)
    for text in ("好的", PHONE):
        response = client.post(f"/api/v1/callbacks/{offered['id']}/user-messages",
                               json={"token": offered["token"], "text": text})
        seen.append(response.text)
    sign_in(app, client, "wang")
    for path in ("/staff/callbacks", f"/staff/callbacks/{offered['id']}"):
        seen.append(client.get(path).text)
    for path in ("/api/v1/callbacks", f"/api/v1/callbacks/{offered['id']}"):
        seen.append(client.get(path, headers=STAFF).text)
    seen.append(client.get("/openapi.json").text)
    assert "139****5678" in seen[1] and "139****5678" in seen[2] and "139****5678" in seen[4]
    shown = client.post(f"/staff/callbacks/{offered['id']}/reveal")
    assert shown.status_code == 200 and PHONE in shown.text
    for path in ("/staff/callbacks", f"/staff/callbacks/{offered['id']}"):
        seen.append(client.get(path).text)
    for path in ("/api/v1/callbacks", f"/api/v1/callbacks/{offered['id']}"):
        seen.append(client.get(path, headers=STAFF).text)
    assert "139****5678" in seen[-1] and "139****5678" in seen[-3]
    seen.append(client.post(f"/staff/callbacks/{offered['id']}", data={"reached": "1", "note": "ok"}).text)
    seen.append(client.get(f"/api/v1/callbacks/{offered['id']}", headers=STAFF).text)
    assert not [text for text in seen if PHONE in text]
    assert "number shown to wang" in caplog.text and PHONE not in caplog.text


@pytest.fixture
def staff(app, client: TestClient) -> TestClient:
    """The client signed in as the reviewer `wang`."""
    sign_in(app, client, "wang")
    return client


def test_the_staff_page_lists_masked_numbers_and_records_as_the_account(app, staff):
    offered = leave_number(staff)
    listed = staff.get("/staff/callbacks")
    assert listed.status_code == 200 and "139****5678" in listed.text and f'href="/staff/callbacks/{offered["id"]}"' in listed.text
    assert "回电登记" in staff.get("/staff").text
    page = staff.get(f"/staff/callbacks/{offered['id']}")
    assert "证书管理号" in page.text and "370102********" in page.text and ID_NUMBER not in page.text
    done = staff.post(f"/staff/callbacks/{offered['id']}", data={"reached": "0", "note": "无人接听"})
    assert done.status_code == 200 and message("callback_staff_recorded") in done.text and "未接通" in done.text
    assert staff.post(f"/staff/callbacks/{offered['id']}", data={"reached": "1"}).status_code == 409
    events = callbacks.detail(app.state.factory, offered["id"], 7)["events"]
    assert events[-1]["action"] == "recorded" and events[-1]["actor"] == "wang"
    assert staff.get("/staff/callbacks/424242").status_code == 404
    assert staff.get("/staff/callbacks/0").status_code == 404
    assert staff.post(f"/staff/callbacks/{offered['id']}", data={"reached": "1"},
                      headers={"Origin": "http://evil.test"}).status_code == 403


def test_visitors_are_sent_to_the_login(client):
    assert client.get("/staff/callbacks", follow_redirects=False).status_code == 303
    assert client.post("/staff/callbacks/1", follow_redirects=False).status_code == 303


def reveals(app: FastAPI) -> List[Tuple[int, str]]:
    """The audited reveals: (callback id, account), in order."""
    with app.state.factory() as session:
        return [(e.callback_id, e.actor) for e in session.execute(
            select(CallbackEvent).where(CallbackEvent.action == "revealed").order_by(CallbackEvent.id)).scalars()]


def test_a_signed_in_account_has_the_number_shown_once_audited(app, staff, caplog):
    caplog.set_level(logging.INFO)
    offered = leave_number(staff)
    page = staff.get(f"/staff/callbacks/{offered['id']}")
    assert f'action="/staff/callbacks/{offered["id"]}/reveal"' in page.text and "显示完整号码（将记录）" in page.text
    assert PHONE not in page.text and "还没有人查看过完整号码" in page.text
    shown = staff.post(f"/staff/callbacks/{offered['id']}/reveal")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert f'href="tel:{PHONE}"' in shown.text and message("callback_staff_revealed", username="wang") in shown.text
    assert f'action="/staff/callbacks/{offered["id"]}"' in shown.text and 'name="reached"' in shown.text
    assert "/reveal" not in shown.text
    assert reveals(app) == [(offered["id"], "wang")]
    again = staff.get(f"/staff/callbacks/{offered['id']}")
    assert PHONE not in again.text and "139****5678" in again.text and "<td>wang</td>" in again.text
    assert PHONE not in staff.get("/staff/callbacks").text
    assert PHONE not in staff.get("/api/v1/callbacks", headers=STAFF).text
    events = staff.get(f"/api/v1/callbacks/{offered['id']}", headers=STAFF).json()["events"]
    assert (events[-1]["action"], events[-1]["actor"]) == ("revealed", "wang")
    assert f"callback {offered['id']}: number shown to wang" in caplog.text and PHONE not in caplog.text


def test_no_reveal_with_the_machine_token_from_elsewhere_or_for_visitors(app, client):
    offered = leave_number(client)
    path = f"/staff/callbacks/{offered['id']}/reveal"
    refused = client.post(path, headers=STAFF, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/staff" and PHONE not in refused.text
    assert client.post(f"/api/v1/callbacks/{offered['id']}/reveal", headers=STAFF).status_code in (404, 405)
    sign_in(app, client, "wang")
    forged = client.post(path, headers={"Origin": "http://evil.test"})
    assert forged.status_code == 403 and PHONE not in forged.text
    assert reveals(app) == []


def test_a_recorded_lapsed_or_missing_callback_is_not_revealed(app, staff):
    recorded, lapsed = leave_number(staff), leave_number(staff)
    assert staff.post(f"/staff/callbacks/{recorded['id']}", data={"reached": "1"}).status_code == 200
    with app.state.factory.begin() as session:
        session.get(Callback, lapsed["id"]).numbered_at = utc_now_naive() - timedelta(days=8)
    assert callbacks.lapse_due(app.state.factory, utc_now_naive() - timedelta(days=7), utc_now_naive()) == 1
    for offered in (recorded, lapsed):
        refused = staff.post(f"/staff/callbacks/{offered['id']}/reveal")
        assert refused.status_code == 409 and message("callback_not_revealable") in refused.text
        assert "/reveal" not in refused.text and PHONE not in refused.text
    assert staff.post("/staff/callbacks/424242/reveal").status_code == 404
    assert staff.post("/staff/callbacks/0/reveal").status_code == 404
    assert reveals(app) == []
    with app.state.factory() as session:  # refusals are not counted against the account's quota
        assert session.execute(select(ThrottleAttempt).where(ThrottleAttempt.scope == "callback_reveal")).all() == []


def test_reveals_are_limited_per_account(app, staff, caplog):
    offered = leave_number(staff)
    path = f"/staff/callbacks/{offered['id']}/reveal"
    limit = callbacks.REVEALS_PER_ACCOUNT.limit
    assert (limit, callbacks.REVEALS_PER_ACCOUNT.window_s) == (30, 3600)
    assert all(staff.post(path).status_code == 200 for _ in range(limit))
    refused = staff.post(path)
    wait = int(refused.headers["retry-after"])
    assert refused.status_code == 429 and 0 < wait <= 3600
    assert message("callback_reveal_quota", limit=30, minutes=math.ceil(wait / 60)) in refused.text
    assert PHONE not in refused.text
    assert "number not shown to wang, too many reveals" in caplog.text
    with TestClient(app) as other:
        sign_in(app, other, "li")
        assert other.post(path).status_code == 200
    assert reveals(app) == [(offered["id"], "wang")] * limit + [(offered["id"], "li")]
