"""Tests of the WeChat channel served by Sanic, with a scripted fake Rasa and the fake WeChat API."""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import xml.etree.ElementTree as ET
from typing import Any, Dict, Optional

import pytest

from bot.channels.wechat import (
    GREET_PAYLOAD,
    IMAGE_TEXT,
    WeChatInput,
    parse_body,
    to_xml,
)
from bot.channels.wechat_crypto import MessageCrypto, sign
from reissue import knowledge
from tests.bot.channels.wechat_support import (
    AES_KEY,
    AES_KEY_PREVIOUS,
    TOKEN,
    WEBHOOK,
    ChannelHarness,
    signed_query,
)
from tests.fakes.wechat_api_server import FAKE_APPID

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
MINI_PROGRAM = "gh_0123456789ab"
BUTTONS = [
    {"title": "遗失", "payload": '/inform_reason{"reason":"遗失"}'},
    {"title": "损毁", "payload": '/inform_reason{"reason":"损毁"}'},
]
_msg_ids = itertools.count(7_000_000_000_000_000_001)


def push(content: Optional[str] = None, openid: str = OPENID, **extra: Any) -> Dict[str, Any]:
    """Return a text push (or, with MsgType in `extra`, another push) as WeChat sends it."""
    fields: Dict[str, Any] = {"ToUserName": MINI_PROGRAM, "FromUserName": openid, "CreateTime": int(time.time())}
    if content is not None:
        fields.update(MsgType="text", Content=content, MsgId=next(_msg_ids))
    fields.update(extra)
    return fields


def as_json(fields: Dict[str, Any]) -> str:
    """Serialise a push as JSON."""
    return json.dumps(fields, ensure_ascii=False)


def seal(fields: Dict[str, Any], fmt: str = "xml", key: str = AES_KEY, appid: str = FAKE_APPID):
    """Encrypt a push for safe mode; return (body, query params)."""
    plain = to_xml(fields) if fmt == "xml" else as_json(fields)
    crypto = MessageCrypto(TOKEN, [key], appid)
    timestamp, nonce = str(int(time.time())), "1234567"
    sealed = crypto.encrypt_message(plain, timestamp, nonce)
    envelope = {"ToUserName": MINI_PROGRAM, "Encrypt": sealed.encrypt}
    body = to_xml(envelope) if fmt == "xml" else as_json(envelope)
    params = dict(signed_query(timestamp, nonce), encrypt_type="aes", msg_signature=sealed.msg_signature)
    return body, params


async def test_url_verification_official_vector(harness: ChannelHarness) -> None:
    """GET with the official vector answers echostr as plain text."""
    params = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "timestamp": "1714036504",
        "nonce": "1514711492",
        "echostr": "4375120948345356249",
    }
    response = await harness.client.get(WEBHOOK, params=params)
    assert response.status_code == 200
    assert response.text == "4375120948345356249"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"signature": "0" * 40, "timestamp": "1714036504", "nonce": "1514711492", "echostr": "1"},
        {"timestamp": "1714036504", "nonce": "1514711492", "echostr": "1"},
        {"echostr": "1"},
    ],
)
async def test_url_verification_refuses_bad_signature(harness: ChannelHarness, params: Dict[str, str]) -> None:
    """A wrong or missing signature is refused with 403 and no echo."""
    response = await harness.client.get(WEBHOOK, params=params)
    assert response.status_code == 403 and response.text != "1"


async def test_health_route(harness: ChannelHarness) -> None:
    """The channel root reports ok."""
    response = await harness.client.get("/webhooks/wechat/")
    assert response.json() == {"status": "ok"}


async def test_official_post_signature_vector_is_accepted(harness: ChannelHarness) -> None:
    """A plain JSON push signed like the official POST vector is processed and answered."""
    params = {"signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78", "timestamp": "1714037059", "nonce": "486452656"}
    response = await harness.post(as_json(push("你好")), params=params)
    assert response.status_code == 200 and response.text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["你好"]
    message = harness.rasa.received[0]
    assert message.sender_id == OPENID and message.input_channel == "wechat"
    assert [s.content for s in harness.recorder.delivered(OPENID)] == ["收到。"]


async def test_success_is_answered_before_rasa_finishes(harness: ChannelHarness) -> None:
    """The push is answered while Rasa is still working; the reply arrives afterwards."""
    harness.rasa.gate = asyncio.Event()
    response = await asyncio.wait_for(harness.post(as_json(push("补发要多久"))), timeout=3)
    assert response.text == "success"
    assert harness.recorder.sends == []
    harness.rasa.gate.set()
    await harness.channel.wait_idle()
    assert len(harness.recorder.delivered(OPENID)) == 1


async def test_turn_is_merged_into_one_send_with_numbered_buttons(harness: ChannelHarness) -> None:
    """Three bot messages and buttons arrive as a single send with numbered choices."""
    harness.rasa.script["我要补发"] = [
        {"text": "好的，我来帮您办理补发。"},
        {"text": "先确认几个问题。\n\n第一个问题："},
        {"text": "您的证书是遗失还是损毁？", "buttons": BUTTONS},
    ]
    await harness.post(as_json(push("我要补发")))
    await harness.channel.wait_idle()
    sends = harness.recorder.delivered(OPENID)
    assert len(sends) == 1
    assert sends[0].body["msgtype"] == "text" and sends[0].touser == OPENID
    assert sends[0].content == (
        "好的，我来帮您办理补发。\n\n先确认几个问题。\n\n第一个问题：\n\n"
        "您的证书是遗失还是损毁？\n回复数字：\n1. 遗失\n2. 损毁"
    )


async def test_digit_answer_is_translated_to_the_button_payload(harness: ChannelHarness) -> None:
    """After numbered choices, "２" reaches Rasa as the second button's payload; then choices are cleared."""
    harness.rasa.script["我要补发"] = [{"text": "遗失还是损毁？", "buttons": BUTTONS}]
    await harness.post(as_json(push("我要补发")))
    await harness.channel.wait_idle()
    assert [c.number for c in await harness.channel.remembered_choices(OPENID) or []] == [1, 2]
    await harness.post(as_json(push("２")))
    await harness.channel.wait_idle()
    assert harness.rasa.texts[-1] == BUTTONS[1]["payload"]
    assert harness.rasa.received[-1].metadata["wechat_choice"] == {"number": 2, "title": "损毁"}
    # The reply to that turn had no buttons, so a later "1" is plain text again.
    assert await harness.channel.remembered_choices(OPENID) is None
    await harness.post(as_json(push("1")))
    await harness.channel.wait_idle()
    assert harness.rasa.texts[-1] == "1"


async def test_out_of_range_digit_and_other_users_pass_through(harness: ChannelHarness) -> None:
    """A digit outside the choices, or from another user, is sent to Rasa unchanged."""
    harness.rasa.script["我要补发"] = [{"text": "遗失还是损毁？", "buttons": BUTTONS}]
    await harness.post(as_json(push("我要补发")))
    await harness.channel.wait_idle()
    await harness.post(as_json(push("3")))
    await harness.post(as_json(push("1", openid="oOtherUser_000000000000001")))
    await harness.channel.wait_idle()
    assert harness.rasa.texts[1:] == ["3", "1"]


async def test_quick_successive_messages_keep_their_order(harness: ChannelHarness) -> None:
    """A digit sent while the question's turn is still running waits for it, then maps to the payload."""
    harness.rasa.script["我要补发"] = [{"text": "遗失还是损毁？", "buttons": BUTTONS}]
    harness.rasa.gate = asyncio.Event()
    await harness.post(as_json(push("我要补发")))
    await harness.post(as_json(push("1")))
    await asyncio.sleep(0.05)
    assert harness.rasa.texts == ["我要补发"]  # the second turn waits for the first
    harness.rasa.gate.set()
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["我要补发", BUTTONS[0]["payload"]]
    contents = [s.content for s in harness.recorder.delivered(OPENID)]
    assert contents[0].endswith("1. 遗失\n2. 损毁") and contents[1] == "收到。"


async def test_duplicate_msgid_is_processed_once(harness: ChannelHarness) -> None:
    """WeChat's retries of the same MsgId are answered but not processed again."""
    body = as_json(push("证书丢了怎么办"))
    for _ in range(3):
        response = await harness.post(body)
        assert response.text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["证书丢了怎么办"]
    assert len(harness.recorder.delivered(OPENID)) == 1


async def test_duplicate_event_is_processed_once(harness: ChannelHarness) -> None:
    """Events (no MsgId) are deduplicated by FromUserName + CreateTime."""
    event = push(MsgType="event", Event="user_enter_tempsession", SessionFrom="guide", CreateTime=1700000000)
    await harness.post(as_json(event))
    await harness.post(to_xml(event))
    await harness.post(as_json(dict(event, CreateTime=1700000099)))
    await harness.channel.wait_idle()
    assert harness.rasa.texts == [GREET_PAYLOAD, GREET_PAYLOAD]


async def test_enter_tempsession_greets(harness: ChannelHarness) -> None:
    """Entering the chat sends Rasa /greet for that user and the greeting is sent within the quota of 2."""
    harness.rasa.script[GREET_PAYLOAD] = [{"text": "您好，我是证书补发小助手。"}, {"text": "您可以直接提问。"}]
    event = push(MsgType="event", Event="user_enter_tempsession", SessionFrom="home")
    response = await harness.post(to_xml(event))
    assert response.text == "success"
    await harness.channel.wait_idle()
    message = harness.rasa.received[0]
    assert message.text == GREET_PAYLOAD and message.sender_id == OPENID
    assert message.metadata["session_from"] == "home"
    assert [s.content for s in harness.recorder.delivered(OPENID)] == ["您好，我是证书补发小助手。\n\n您可以直接提问。"]


async def test_image_push_reaches_rasa_with_metadata(harness: ChannelHarness) -> None:
    """An image becomes the text [图片] with its PicUrl and MediaId in the metadata."""
    image = push(MsgType="image", PicUrl="https://mmbiz.example/pic.jpg", MediaId="MEDIA_1", MsgId=next(_msg_ids))
    await harness.post(to_xml(image))
    await harness.channel.wait_idle()
    message = harness.rasa.received[0]
    assert message.text == IMAGE_TEXT
    assert message.metadata["pic_url"] == "https://mmbiz.example/pic.jpg"
    assert message.metadata["media_id"] == "MEDIA_1"


async def test_unsupported_push_is_acknowledged_and_ignored(harness: ChannelHarness) -> None:
    """Unknown message types get `success` and never reach Rasa."""
    response = await harness.post(as_json(push(MsgType="voice", MsgId=next(_msg_ids))))
    assert response.text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.received == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_transfer_to_human_answers_synchronously(harness: ChannelHarness, fmt: str) -> None:
    """转人工 is answered with transfer_customer_service in the push's format, without Rasa or sends."""
    fields = push("转人工")
    response = await harness.post(as_json(fields) if fmt == "json" else to_xml(fields))
    assert response.status_code == 200
    reply, reply_fmt = parse_body(response.content)
    assert reply_fmt == fmt
    assert reply["MsgType"] == "transfer_customer_service"
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == MINI_PROGRAM
    assert int(reply["CreateTime"]) > 0
    await harness.channel.wait_idle()
    assert harness.rasa.received == [] and harness.recorder.sends == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_safe_mode_round_trip(harness: ChannelHarness, fmt: str) -> None:
    """An encrypted push is decrypted and processed; the reply goes out through the send API."""
    body, params = seal(push("补发需要什么材料"), fmt)
    response = await harness.post(body, params)
    assert response.status_code == 200 and response.text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["补发需要什么材料"]
    assert len(harness.recorder.delivered(OPENID)) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_safe_mode_transfer_reply_is_encrypted(harness: ChannelHarness, fmt: str) -> None:
    """In safe mode the transfer reply is sealed and signed; decrypted it is transfer_customer_service."""
    body, params = seal(push("人工客服"), fmt)
    response = await harness.post(body, params)
    envelope, envelope_fmt = parse_body(response.content)
    assert envelope_fmt == fmt and "MsgType" not in envelope
    assert envelope["MsgSignature"] == sign(TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
    crypto = MessageCrypto(TOKEN, [AES_KEY], FAKE_APPID)
    plain, _ = crypto.decrypt_message(
        envelope["Encrypt"], envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply, reply_fmt = parse_body(plain.encode("utf-8"))
    assert reply_fmt == fmt and reply["MsgType"] == "transfer_customer_service" and reply["ToUserName"] == OPENID


async def test_safe_mode_accepts_the_previous_key(harness: ChannelHarness) -> None:
    """During a key rotation, a push sealed with the previous EncodingAESKey is still processed."""
    body, params = seal(push("旧密钥"), key=AES_KEY_PREVIOUS)
    assert (await harness.post(body, params)).text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["旧密钥"]


async def test_safe_mode_refuses_forged_msg_signature(harness: ChannelHarness) -> None:
    """A correct URL signature with a forged msg_signature is refused with 403."""
    body, params = seal(push("伪造"))
    params["msg_signature"] = "0" * 40
    response = await harness.post(body, params)
    assert response.status_code == 403
    await harness.channel.wait_idle()
    assert harness.rasa.received == []


@pytest.mark.parametrize("problem", ["unknown_key", "wrong_appid", "no_encrypt"])
async def test_safe_mode_undecryptable_push_is_400(harness: ChannelHarness, problem: str) -> None:
    """Unknown keys, another AppID, or encrypt_type=aes without Encrypt give 400."""
    if problem == "unknown_key":
        body, params = seal(push("x"), key="Z" * 42 + "A")
    elif problem == "wrong_appid":
        body, params = seal(push("x"), appid="wx_not_ours")
    else:
        body, params = as_json(push("x")), dict(signed_query(), encrypt_type="aes", msg_signature="1" * 40)
    response = await harness.post(body, params)
    assert response.status_code == 400
    await harness.channel.wait_idle()
    assert harness.rasa.received == []


@pytest.mark.parametrize(
    "params",
    [
        {"signature": "0" * 40, "timestamp": "1714037059", "nonce": "486452656"},
        {"timestamp": "1714037059", "nonce": "486452656"},
        {},
        {"signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78", "timestamp": "1714037060", "nonce": "486452656"},
    ],
)
async def test_forged_push_is_refused(harness: ChannelHarness, params: Dict[str, str]) -> None:
    """Pushes with a wrong, missing or replayed-with-changes signature get 403 and do nothing."""
    response = await harness.post(as_json(push("伪造的消息")), params)
    assert response.status_code == 403
    await harness.channel.wait_idle()
    assert harness.rasa.received == [] and harness.recorder.sends == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        "hello",
        "{not json",
        "[1, 2]",
        "<xml><Content>unclosed",
        '<!DOCTYPE x [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>',
        json.dumps({"MsgType": "text", "Content": "no sender"}),
        "\xff",
    ],
)
async def test_malformed_body_is_400(harness: ChannelHarness, body: str) -> None:
    """Bodies that are not a WeChat push are rejected with 400, never 5xx."""
    response = await harness.post(body)
    assert response.status_code == 400
    await harness.channel.wait_idle()
    assert harness.rasa.received == []


async def test_token_refresh_on_40001_during_a_turn(harness: ChannelHarness) -> None:
    """When WeChat invalidates the token between turns, the reply still arrives with a new token."""
    await harness.post(as_json(push("第一句")))
    await harness.channel.wait_idle()
    harness.recorder.invalidate_tokens()
    await harness.post(as_json(push("第二句")))
    await harness.channel.wait_idle()
    assert len(harness.recorder.delivered(OPENID)) == 2
    assert len(harness.recorder.token_requests) == 2
    assert 40001 in [s.errcode for s in harness.recorder.sends]


async def test_quota_error_does_not_break_the_channel(harness: ChannelHarness) -> None:
    """A 45047 from WeChat is logged; the next turn is processed normally."""
    harness.recorder.script_send_errcodes(45047)
    await harness.post(as_json(push("一")))
    await harness.channel.wait_idle()
    response = await harness.post(as_json(push("二")))
    assert response.text == "success"
    await harness.channel.wait_idle()
    assert [s.errcode for s in harness.recorder.sends] == [45047, 0]


async def test_rasa_failure_sends_an_apology(harness: ChannelHarness) -> None:
    """If Rasa raises, the user gets a short apology instead of silence."""
    harness.rasa.fail_with = RuntimeError("boom")
    await harness.post(as_json(push("你好")))
    await harness.channel.wait_idle()
    assert [s.content for s in harness.recorder.delivered(OPENID)] == [knowledge.message("channel_wechat_sorry")]


async def test_info_logs_hide_openids_and_text(harness: ChannelHarness, caplog: pytest.LogCaptureFixture) -> None:
    """At INFO the logs carry neither the full openid nor the message text."""
    harness.rasa.script["我的身份证号370102199001011234"] = [{"text": "已记录"}]
    with caplog.at_level(logging.INFO):
        await harness.post(as_json(push("我的身份证号370102199001011234")))
        await harness.post(as_json(push("我的身份证号370102199001011234", openid=OPENID)))
        await harness.channel.wait_idle()
    channel_logs = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.channels"))
    assert "wechat.push" in channel_logs
    assert OPENID not in channel_logs and "370102199001011234" not in channel_logs and "已记录" not in channel_logs


def test_from_credentials_falls_back_to_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty or unexpanded credentials use WECHAT_* from the environment; given values win."""
    monkeypatch.setenv("WECHAT_TOKEN", "env-token")
    monkeypatch.setenv("WECHAT_APPID", "wx_env")
    monkeypatch.setenv("WECHAT_SECRET", "env-secret")
    monkeypatch.setenv("WECHAT_AES_KEY", AES_KEY)
    monkeypatch.setenv("WECHAT_AES_KEY_PREVIOUS", AES_KEY_PREVIOUS)
    monkeypatch.delenv("WECHAT_API_BASE", raising=False)
    channel = WeChatInput.from_credentials(
        {"token": "", "appid": "${WECHAT_APPID}", "secret": "cred-secret", "aes_key": None}
    )
    assert channel.token == "env-token" and channel.appid == "wx_env" and channel.secret == "cred-secret"
    assert channel.api_base == "https://api.weixin.qq.com"
    assert channel.crypto is not None and len(channel.crypto.keys) == 2
    assert WeChatInput.name() == "wechat" and channel.url_prefix() == "wechat"


def test_from_credentials_without_keys_is_plain_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no EncodingAESKey anywhere, the channel runs in plain mode."""
    for name in ("WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_AES_KEY_PREVIOUS"):
        monkeypatch.delenv(name, raising=False)
    channel = WeChatInput.from_credentials(None)
    assert channel.crypto is None and channel.token == ""


def test_parse_body_flattens_xml_and_json() -> None:
    """XML CDATA and JSON numbers both come out as strings."""
    fields, fmt = parse_body(to_xml({"MsgType": "text", "Content": "a]]>b", "CreateTime": 12}).encode())
    assert fmt == "xml" and fields == {"MsgType": "text", "Content": "a]]>b", "CreateTime": "12"}
    fields, fmt = parse_body(b'{"MsgId": 1234567890123456, "Content": "x"}')
    assert fmt == "json" and fields["MsgId"] == "1234567890123456"
    root = ET.fromstring(to_xml({"A": "<b>&"}))
    assert root.find("A").text == "<b>&"
