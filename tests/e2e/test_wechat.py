"""The WeChat mini-program channel end to end: signed pushes into the real Rasa server, replies through a
local fake of the WeChat send API."""
from __future__ import annotations

import json
import time
import uuid

import requests

from bot.channels.wechat_crypto import decode_aes_key, encrypt, sign

WEBHOOK = "/webhooks/wechat/webhook"


def push(stack, body: dict, safe_mode: bool = False) -> requests.Response:
    """POST a push the way WeChat does (plain or safe mode), signed with the configured token."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:9]
    params = {"signature": sign(stack.wechat_token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    payload = json.dumps(body, ensure_ascii=False)
    if safe_mode:
        encrypted = encrypt(payload, decode_aes_key(stack.wechat_aes_key), stack.wechat_appid)
        params.update(encrypt_type="aes", msg_signature=sign(stack.wechat_token, timestamp, nonce, encrypted))
        payload = json.dumps({"ToUserName": "gh_test", "Encrypt": encrypted})
    return requests.post(
        f"{stack.rasa_url}{WEBHOOK}", params=params, data=payload.encode("utf-8"),
        headers={"Content-Type": "application/json"}, timeout=10,
    )


def text_push(openid: str, content: str) -> dict:
    """A text message push."""
    return {"ToUserName": "gh_test", "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "text", "Content": content, "MsgId": int(uuid.uuid4().int % 10**16)}


def test_url_verification(stack) -> None:
    """The console's GET check echoes echostr for a good signature and refuses a forged one."""
    timestamp, nonce = "1714036504", "1514711492"
    good = {"signature": sign(stack.wechat_token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "echostr": "4375120948345356249"}
    assert requests.get(f"{stack.rasa_url}{WEBHOOK}", params=good, timeout=10).text == "4375120948345356249"
    forged = {**good, "signature": "0" * 40}
    assert requests.get(f"{stack.rasa_url}{WEBHOOK}", params=forged, timeout=10).status_code == 403


def test_question_answered_through_the_send_api(stack) -> None:
    """A plain push gets `success` at once; the answer arrives through the send API."""
    openid = f"o-e2e-{uuid.uuid4().hex[:8]}"
    response = push(stack, text_push(openid, "补办证书需要登报吗"))
    assert response.status_code == 200 and response.text == "success"
    sent = stack.wechat.wait_for_sends(1, timeout=60, openid=openid)
    assert "不需要登报" in sent[0].content


def test_safe_mode_greeting_with_numbered_choices(stack) -> None:
    """An encrypted push works; choices come as numbered text and a digit picks one."""
    openid = f"o-e2e-{uuid.uuid4().hex[:8]}"
    assert push(stack, text_push(openid, "你好"), safe_mode=True).status_code == 200
    greeting = stack.wechat.wait_for_sends(1, timeout=60, openid=openid)[0].content
    assert "1." in greeting and "补办要交钱吗" in greeting
    assert push(stack, text_push(openid, "1"), safe_mode=True).status_code == 200
    answer = stack.wechat.wait_for_sends(2, timeout=60, openid=openid)[1].content
    assert "不收费" in answer


def test_duplicate_push_is_answered_once(stack) -> None:
    """WeChat's retries of the same MsgId are dropped."""
    openid = f"o-e2e-{uuid.uuid4().hex[:8]}"
    body = text_push(openid, "补办要多久")
    for _ in range(3):
        assert push(stack, body).status_code == 200
    stack.wechat.wait_for_sends(1, timeout=60, openid=openid)
    time.sleep(3)
    assert len(stack.wechat.delivered(openid)) == 1


def test_transfer_to_a_human_agent(stack) -> None:
    """"转人工" is answered with transfer_customer_service in the push's format."""
    openid = f"o-e2e-{uuid.uuid4().hex[:8]}"
    response = push(stack, text_push(openid, "转人工"))
    assert response.status_code == 200
    assert response.json()["MsgType"] == "transfer_customer_service"


def test_forged_push_is_refused(stack) -> None:
    """A push with a wrong signature is refused with 4xx and never reaches the bot."""
    openid = f"o-e2e-{uuid.uuid4().hex[:8]}"
    response = requests.post(
        f"{stack.rasa_url}{WEBHOOK}",
        params={"signature": "0" * 40, "timestamp": "1", "nonce": "2"},
        data=json.dumps(text_push(openid, "你好")), timeout=10,
    )
    assert 400 <= response.status_code < 500
    time.sleep(2)
    assert stack.wechat.delivered(openid) == []
