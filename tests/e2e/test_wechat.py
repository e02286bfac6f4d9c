"""The WeChat mini-program channel end to end: signed pushes into the real Rasa server, replies through a
local fake of the WeChat send API. The stack runs in safe mode (an EncodingAESKey is configured)."""
from __future__ import annotations

import json
import time
import uuid
from typing import Dict, Optional

import requests

from bot.channels.wechat_crypto import decode_aes_key, encrypt, sign

WEBHOOK = "/webhooks/wechat/webhook"


def signed_params(stack, timestamp: Optional[str] = None) -> Dict[str, str]:
    """The signature, timestamp (now by default) and a fresh nonce, as WeChat puts them in the URL."""
    timestamp, nonce = timestamp or str(int(time.time())), uuid.uuid4().hex[:9]
    return {"signature": sign(stack.wechat_token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def push(stack, body: dict, safe_mode: bool = True, params: Optional[Dict[str, str]] = None) -> requests.Response:
    """POST a push the way WeChat does (sealed by default), signed with the configured token."""
    params = dict(params or signed_params(stack))
    payload = json.dumps(body, ensure_ascii=False)
    if safe_mode:
        encrypted = encrypt(payload, decode_aes_key(stack.wechat_aes_key), stack.wechat_appid)
        params.update(encrypt_type="aes", msg_signature=sign(stack.wechat_token, params["timestamp"], params["nonce"], encrypted))
        payload = json.dumps({"ToUserName": "gh_test", "Encrypt": encrypted})
    return requests.post(
        f"{stack.rasa_url}{WEBHOOK}", params=params, data=payload.encode("utf-8"),
        headers={"Content-Type": "application/json"}, timeout=10,
    )


def text_push(openid: str, content: str) -> dict:
    """A text message push."""
    return {"ToUserName": "gh_test", "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "text", "Content": content, "MsgId": int(uuid.uuid4().int % 10**16)}


def new_openid() -> str:
    """A fresh WeChat user."""
    return f"o-e2e-{uuid.uuid4().hex[:8]}"


def test_url_verification(stack) -> None:
    """The console's GET check echoes echostr for a good, fresh signature and refuses a forged or old one."""
    good = dict(signed_params(stack), echostr="4375120948345356249")
    assert requests.get(f"{stack.rasa_url}{WEBHOOK}", params=good, timeout=10).text == "4375120948345356249"
    forged = {**good, "signature": "0" * 40}
    assert requests.get(f"{stack.rasa_url}{WEBHOOK}", params=forged, timeout=10).status_code == 403
    old = dict(signed_params(stack, "1714036504"), echostr="4375120948345356249")
    assert requests.get(f"{stack.rasa_url}{WEBHOOK}", params=old, timeout=10).status_code == 403


def test_question_answered_through_the_send_api(stack) -> None:
    """A sealed push gets `success` at once; the answer arrives through the send API."""
    openid = new_openid()
    response = push(stack, text_push(openid, "补办证书需要登报吗"))
    assert response.status_code == 200 and response.text == "success"
    sent = stack.wechat.wait_for_sends(1, timeout=60, openid=openid)
    assert "不需要登报" in sent[0].content


def test_safe_mode_greeting_with_numbered_choices(stack) -> None:
    """An encrypted push works; choices come as numbered text and a digit picks one."""
    openid = new_openid()
    assert push(stack, text_push(openid, "你好")).status_code == 200
    greeting = stack.wechat.wait_for_sends(1, timeout=60, openid=openid)[0].content
    assert "1." in greeting and "补办要交钱吗" in greeting
    assert push(stack, text_push(openid, "1")).status_code == 200
    answer = stack.wechat.wait_for_sends(2, timeout=60, openid=openid)[1].content
    assert "不收费" in answer


def test_duplicate_push_is_answered_once(stack) -> None:
    """WeChat's retries of the same MsgId are dropped."""
    openid = new_openid()
    body = text_push(openid, "补办要多久")
    for _ in range(3):
        assert push(stack, body).status_code == 200
    stack.wechat.wait_for_sends(1, timeout=60, openid=openid)
    time.sleep(3)
    assert len(stack.wechat.delivered(openid)) == 1


def staff(stack, method: str, path: str, **kwargs) -> dict:
    """One call to the staff API with the staff credential."""
    response = requests.request(method, f"{stack.backend_url}{path}", timeout=30,
                                headers={"Authorization": f"Bearer {stack.staff_token}"}, **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_a_person_answers_a_wechat_user_through_the_send_api(stack) -> None:
    """"转人工" (console mode, staffed) queues the conversation; the user's message reaches the person, not the
    model; the person's reply and the hand-back arrive through the send API; the assistant answers again after."""
    openid = new_openid()
    assert push(stack, text_push(openid, "转人工")).text == "success"
    assert "您前面还有" in stack.wechat.wait_for_sends(1, timeout=60, openid=openid)[0].content
    entry = next(item for item in staff(stack, "GET", "/api/v1/handoffs", params={"status": "waiting"})["items"]
                 if item["channel"] == "wechat" and item["summary"]["turns"][-1]["text"] == "转人工")
    staff(stack, "POST", f"/api/v1/handoffs/{entry['id']}/take")
    staff(stack, "POST", f"/api/v1/handoffs/{entry['id']}/messages", json={"text": "您好，我是工作人员。"})
    texts = [s.content for s in stack.wechat.wait_for_sends(3, timeout=30, openid=openid)]
    assert texts[1:3] == ["工作人员已接入，请直接说您的问题。", "您好，我是工作人员。"]
    assert push(stack, text_push(openid, "我的证书丢了")).text == "success"
    deadline = time.time() + 30
    while time.time() < deadline:
        detail = staff(stack, "GET", f"/api/v1/handoffs/{entry['id']}")
        if any(m["author"] == "user" for m in detail["messages"]):
            break
        time.sleep(0.2)
    assert [m["text"] for m in detail["messages"] if m["author"] == "user"] == ["我的证书丢了"]
    staff(stack, "POST", f"/api/v1/handoffs/{entry['id']}/release")
    assert "交回智能助手" in stack.wechat.wait_for_sends(4, timeout=30, openid=openid)[3].content
    time.sleep(3)  # the channel's poller sees the hand-back and forgets the handoff
    assert push(stack, text_push(openid, "补办要交钱吗")).text == "success"
    assert "不收费" in stack.wechat.wait_for_sends(5, timeout=60, openid=openid)[4].content
    user_turns = [e["text"] for e in stack.tracker(f"wechat:{openid}")["events"] if e["event"] == "user"]
    assert user_turns == ["补办要交钱吗"]


def test_forged_push_is_refused(stack) -> None:
    """A push with a wrong signature is refused with 4xx and never reaches the bot."""
    openid = new_openid()
    response = requests.post(
        f"{stack.rasa_url}{WEBHOOK}",
        params={"signature": "0" * 40, "timestamp": "1", "nonce": "2"},
        data=json.dumps(text_push(openid, "你好")), timeout=10,
    )
    assert 400 <= response.status_code < 500
    time.sleep(2)
    assert stack.wechat.delivered(openid) == []


def test_plaintext_stale_and_replayed_pushes_are_refused(stack) -> None:
    """With a key configured a plaintext push is refused; so is a push signed an hour ago, and a captured
    signature carrying another body from another openid. None of them reaches the bot."""
    victim, attacker = new_openid(), new_openid()
    assert push(stack, text_push(attacker, "明文冒充"), safe_mode=False).status_code == 403
    old = signed_params(stack, str(int(time.time()) - 3600))
    assert push(stack, text_push(attacker, "一小时前"), params=old).status_code == 403
    captured = signed_params(stack)
    assert push(stack, text_push(victim, "补办要交钱吗"), params=captured).text == "success"
    assert push(stack, text_push(attacker, "补办要多久"), params=captured).status_code == 403
    stack.wechat.wait_for_sends(1, timeout=60, openid=victim)
    time.sleep(2)
    assert stack.wechat.delivered(attacker) == []


def test_a_rest_client_cannot_join_a_wechat_conversation(stack) -> None:
    """The WeChat user's tracker is wechat:<openid>; REST posting as the bare openid gets a conversation of its own,
    and posting as wechat:<openid> is refused."""
    openid = new_openid()
    assert push(stack, text_push(openid, "补办证书需要登报吗")).text == "success"
    stack.wechat.wait_for_sends(1, timeout=60, openid=openid)
    refused = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                            json={"sender": f"wechat:{openid}", "message": "你好"}, timeout=60)
    assert refused.status_code == 400
    assert stack.texts(openid, "你好")
    wechat_events = [e for e in stack.tracker(f"wechat:{openid}")["events"] if e["event"] == "user"]
    rest_events = [e for e in stack.tracker(openid)["events"] if e["event"] == "user"]
    assert [e["text"] for e in wechat_events] == ["补办证书需要登报吗"]
    assert wechat_events[0]["input_channel"] == "wechat" and wechat_events[0]["metadata"]["channel"] == "wechat"
    assert [e["text"] for e in rest_events] == ["你好"] and rest_events[0]["input_channel"] == "rest"


def test_a_busy_wechat_still_gets_the_reply(stack) -> None:
    """"System busy" twice: the channel tries again after a pause and the answer is delivered."""
    openid = new_openid()
    stack.wechat.script_send_errcodes(-1, -1)
    assert push(stack, text_push(openid, "补办要交钱吗")).text == "success"
    sent = stack.wechat.wait_for_sends(1, timeout=60, openid=openid)
    assert "不收费" in sent[0].content
    assert [s.errcode for s in stack.wechat.sends if s.touser == openid] == [-1, -1, 0]
