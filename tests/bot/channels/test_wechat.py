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
    WeChatInput,
    parse_body,
    to_xml,
)
from bot.channels.wechat_crypto import MessageCrypto, sign
from bot.channels.wechat_handoff import PLATFORM
from reissue import knowledge
from reissue.masking import mask_openid
from tests.bot.channels.wechat_support import (
    AES_KEY,
    AES_KEY_PREVIOUS,
    TOKEN,
    WEBHOOK,
    ChannelHarness,
    signed_query,
)
from tests.fakes.scripted_backend import Step
from tests.fakes.wechat_api_server import FAKE_APPID

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
MINI_PROGRAM = "gh_0123456789ab"
BUTTONS = [
    {"title": "遗失", "payload": '/inform_reason{"reason":"遗失"}'},
    {"title": "损毁", "payload": '/inform_reason{"reason":"损毁"}'},
]
PHOTO_REF = "PH0123456789abcdef01234567"
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


def seal(fields: Dict[str, Any], fmt: str = "xml", key: str = AES_KEY, appid: str = FAKE_APPID, age_s: int = 0):
    """Encrypt a push for safe mode, signed `age_s` seconds ago; return (body, query params)."""
    plain = to_xml(fields) if fmt == "xml" else as_json(fields)
    crypto = MessageCrypto(TOKEN, [key], appid)
    query = signed_query(timestamp=str(int(time.time()) - age_s))
    timestamp, nonce = query["timestamp"], query["nonce"]
    sealed = crypto.encrypt_message(plain, timestamp, nonce)
    envelope = {"ToUserName": MINI_PROGRAM, "Encrypt": sealed.encrypt}
    body = to_xml(envelope) if fmt == "xml" else as_json(envelope)
    params = dict(signed_query(timestamp, nonce), encrypt_type="aes", msg_signature=sealed.msg_signature)
    return body, params


async def test_url_verification_official_vector(harness: ChannelHarness) -> None:
    """GET with the official vector answers echostr as plain text (the channel's clock at the vector's time)."""
    harness.channel.clock = lambda: 1714036504.0 + 60
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
    """A plain JSON push signed like the official POST vector is processed and answered, as sender wechat:<openid>."""
    harness.channel.clock = lambda: 1714037059.0 - 120
    params = {"signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78", "timestamp": "1714037059", "nonce": "486452656"}
    response = await harness.post(as_json(push("你好")), params=params)
    assert response.status_code == 200 and response.text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["你好"]
    message = harness.rasa.received[0]
    assert message.sender_id == f"wechat:{OPENID}" and message.input_channel == "wechat"
    assert message.metadata["channel"] == "wechat"
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
    assert message.text == GREET_PAYLOAD and message.sender_id == f"wechat:{OPENID}"
    assert message.metadata["session_from"] == "home"
    assert [s.content for s in harness.recorder.delivered(OPENID)] == ["您好，我是证书补发小助手。\n\n您可以直接提问。"]


def image_push(media_id: str = "MEDIA_1") -> Dict[str, Any]:
    """An image message push as WeChat sends it."""
    return push(MsgType="image", PicUrl="https://mmbiz.example/pic.jpg", MediaId=media_id, MsgId=next(_msg_ids))


async def test_image_when_no_photo_is_asked_gets_a_polite_word(harness: ChannelHarness) -> None:
    """An image outside the photo step is answered kindly by the channel and never reaches the model."""
    assert (await harness.post(to_xml(image_push()))).text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.received == []
    assert [s.content for s in harness.recorder.delivered(OPENID)] == [
        knowledge.message("channel_wechat_photo_unexpected")]
    assert harness.recorder.media_requests == []


async def test_image_at_the_photo_step_is_uploaded_and_handed_to_the_form(harness: ChannelHarness) -> None:
    """At the photo step the image is fetched from WeChat, uploaded to the backend, and the form receives the
    reference exactly as the widget sends it."""
    assert harness.backend is not None
    harness.trackers.requested[f"wechat:{OPENID}"] = "photo_ref"
    harness.recorder.add_media("MEDIA_1", b"\xff\xd8\xff\xe0 photo")
    harness.backend.then(Step(201, {"photo_ref": PHOTO_REF}))
    await harness.post(to_xml(image_push("MEDIA_1")))
    await harness.channel.wait_idle()
    upload = [seen for seen in harness.backend.seen if seen.path == "/api/v1/photos"]
    assert len(upload) == 1 and b"\xff\xd8\xff\xe0 photo" in upload[0].body and b'name="file"' in upload[0].body
    message = harness.rasa.received[0]
    assert message.text == f"照片已上传：{PHOTO_REF}" and message.sender_id == f"wechat:{OPENID}"
    assert message.metadata["media_id"] == "MEDIA_1" and message.metadata["channel"] == "wechat"
    assert [s.content for s in harness.recorder.delivered(OPENID)] == ["收到。"]


async def test_a_photo_the_backend_refuses_gets_its_reason(harness: ChannelHarness) -> None:
    """What the backend says about a refused photo is what the user reads, as on the web; the form gets nothing."""
    assert harness.backend is not None
    harness.trackers.requested[f"wechat:{OPENID}"] = "photo_ref"
    harness.recorder.add_media("MEDIA_1", b"\xff\xd8\xff")
    harness.backend.then(Step(413, {"error": "payload_too_large", "message": "照片太大了，请压缩到 200 KB 以内。",
                                    "fields": {}}))
    await harness.post(to_xml(image_push("MEDIA_1")))
    await harness.channel.wait_idle()
    assert harness.rasa.received == []
    assert [s.content for s in harness.recorder.delivered(OPENID)] == ["照片太大了，请压缩到 200 KB 以内。"]


async def test_an_image_wechat_no_longer_holds_is_asked_again(harness: ChannelHarness) -> None:
    """An expired media id (or a tracker store that does not answer) asks for the photo once more."""
    harness.trackers.requested[f"wechat:{OPENID}"] = "photo_ref"
    await harness.post(to_xml(image_push("EXPIRED")))
    await harness.channel.wait_idle()
    harness.trackers.fails = True
    await harness.post(to_xml(image_push("MEDIA_2")))
    await harness.channel.wait_idle()
    assert harness.rasa.received == []
    assert [s.content for s in harness.recorder.delivered(OPENID)] == [
        knowledge.message("channel_wechat_photo_not_received")] * 2


async def test_unsupported_push_is_acknowledged_and_ignored(harness: ChannelHarness) -> None:
    """Unknown message types get `success` and never reach Rasa."""
    response = await harness.post(as_json(push(MsgType="voice", MsgId=next(_msg_ids))))
    assert response.text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.received == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_transfer_to_human_answers_synchronously(harness: ChannelHarness, fmt: str) -> None:
    """With WECHAT_HANDOFF=platform, 转人工 is answered with transfer_customer_service in the push's format,
    without Rasa or sends."""
    harness.channel.handoff_mode = PLATFORM
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
async def test_safe_mode_round_trip(safe_harness: ChannelHarness, fmt: str) -> None:
    """An encrypted push is decrypted and processed; the reply goes out through the send API."""
    body, params = seal(push("补发需要什么材料"), fmt)
    response = await safe_harness.post(body, params)
    assert response.status_code == 200 and response.text == "success"
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.texts == ["补发需要什么材料"]
    assert len(safe_harness.recorder.delivered(OPENID)) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_safe_mode_transfer_reply_is_encrypted(safe_harness: ChannelHarness, fmt: str) -> None:
    """In safe mode the transfer reply is sealed and signed; decrypted it is transfer_customer_service."""
    safe_harness.channel.handoff_mode = PLATFORM
    body, params = seal(push("人工客服"), fmt)
    response = await safe_harness.post(body, params)
    envelope, envelope_fmt = parse_body(response.content)
    assert envelope_fmt == fmt and "MsgType" not in envelope
    assert envelope["MsgSignature"] == sign(TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
    crypto = MessageCrypto(TOKEN, [AES_KEY], FAKE_APPID)
    plain, _ = crypto.decrypt_message(
        envelope["Encrypt"], envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply, reply_fmt = parse_body(plain.encode("utf-8"))
    assert reply_fmt == fmt and reply["MsgType"] == "transfer_customer_service" and reply["ToUserName"] == OPENID


async def test_safe_mode_accepts_the_previous_key(safe_harness: ChannelHarness) -> None:
    """During a key rotation, a push sealed with the previous EncodingAESKey is still processed."""
    body, params = seal(push("旧密钥"), key=AES_KEY_PREVIOUS)
    assert (await safe_harness.post(body, params)).text == "success"
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.texts == ["旧密钥"]


async def test_safe_mode_refuses_forged_msg_signature(safe_harness: ChannelHarness) -> None:
    """A correct URL signature with a forged msg_signature is refused with 403."""
    body, params = seal(push("伪造"))
    params["msg_signature"] = "0" * 40
    response = await safe_harness.post(body, params)
    assert response.status_code == 403
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.received == []


@pytest.mark.parametrize("problem", ["unknown_key", "wrong_appid", "no_encrypt"])
async def test_safe_mode_undecryptable_push_is_400(safe_harness: ChannelHarness, problem: str) -> None:
    """Unknown keys, another AppID, or encrypt_type=aes without Encrypt give 400."""
    if problem == "unknown_key":
        body, params = seal(push("x"), key="Z" * 42 + "A")
    elif problem == "wrong_appid":
        body, params = seal(push("x"), appid="wx_not_ours")
    else:
        body, params = as_json(push("x")), dict(signed_query(), encrypt_type="aes", msg_signature="1" * 40)
    response = await safe_harness.post(body, params)
    assert response.status_code == 400
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.received == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("content", ["冒充的明文消息", "转人工"])
async def test_safe_mode_refuses_a_plaintext_push(safe_harness: ChannelHarness, fmt: str, content: str) -> None:
    """With an EncodingAESKey configured, a correctly signed push without Encrypt is refused with 403."""
    fields = push(content)
    response = await safe_harness.post(as_json(fields) if fmt == "json" else to_xml(fields))
    assert response.status_code == 403 and "transfer_customer_service" not in response.text
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.received == [] and safe_harness.recorder.sends == []


async def test_safe_mode_refuses_a_stale_sealed_push(safe_harness: ChannelHarness) -> None:
    """A sealed push whose signatures are right but whose timestamp is an hour old is refused with 403."""
    body, params = seal(push("一小时前的消息"), age_s=3600)
    response = await safe_harness.post(body, params)
    assert response.status_code == 403
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.received == []


@pytest.mark.parametrize("offset_s", [-301, 301, -86400 * 365])
async def test_push_outside_the_five_minute_window_is_refused(harness: ChannelHarness, offset_s: int) -> None:
    """A genuine signature whose timestamp is more than 300 s from now, either way, no longer works."""
    params = signed_query(timestamp=str(int(time.time()) + offset_s))
    response = await harness.post(as_json(push("旧签名的消息")), params)
    assert response.status_code == 403
    await harness.channel.wait_idle()
    assert harness.rasa.received == [] and harness.recorder.sends == []


@pytest.mark.parametrize("offset_s", [-290, 290])
async def test_push_inside_the_window_is_accepted(harness: ChannelHarness, offset_s: int) -> None:
    """Clocks a few minutes apart are tolerated."""
    params = signed_query(timestamp=str(int(time.time()) + offset_s))
    assert (await harness.post(as_json(push("时钟略有偏差")), params)).text == "success"
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["时钟略有偏差"]


FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("timestamp", ["", "abc", "1e9", "-1", "fullwidth now"])
async def test_push_with_an_unreadable_timestamp_is_refused(harness: ChannelHarness, timestamp: str) -> None:
    """A signed timestamp that is not plain ASCII seconds is refused (even full-width digits of now)."""
    if timestamp == "fullwidth now":
        timestamp = str(int(time.time())).translate(FULLWIDTH_DIGITS)
    response = await harness.post(as_json(push("怪时间")), signed_query(timestamp=timestamp))
    assert response.status_code == 403
    await harness.channel.wait_idle()
    assert harness.rasa.received == []


async def test_url_verification_refuses_a_stale_timestamp(harness: ChannelHarness) -> None:
    """The console's GET check obeys the same five-minute window."""
    params = dict(signed_query(timestamp=str(int(time.time()) - 3600)), echostr="4375120948345356249")
    response = await harness.client.get(WEBHOOK, params=params)
    assert response.status_code == 403 and "4375120948345356249" not in response.text


async def test_a_signature_used_again_for_another_push_is_refused(harness: ChannelHarness) -> None:
    """One captured (timestamp, nonce, signature) cannot carry another body, even from another openid."""
    params = signed_query()
    first = await harness.post(as_json(push("第一条")), params)
    second = await harness.post(as_json(push("换了内容", openid="oAttacker_00000000000000001")), params)
    third = await harness.post(as_json(push("转人工")), params)
    assert first.text == "success" and second.status_code == 403 and third.status_code == 403
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["第一条"]
    assert harness.recorder.delivered("oAttacker_00000000000000001") == []


async def test_a_sealed_signature_used_again_for_another_push_is_refused(safe_harness: ChannelHarness) -> None:
    """In safe mode too: the same timestamp and nonce with another sealed body is refused."""
    body, params = seal(push("第一条"))
    crypto = MessageCrypto(TOKEN, [AES_KEY], FAKE_APPID)
    other = crypto.encrypt_message(to_xml(push("第二条")), params["timestamp"], params["nonce"])
    other_body = to_xml({"ToUserName": MINI_PROGRAM, "Encrypt": other.encrypt})
    assert (await safe_harness.post(body, params)).text == "success"
    replay = await safe_harness.post(other_body, dict(params, msg_signature=other.msg_signature))
    assert replay.status_code == 403
    await safe_harness.channel.wait_idle()
    assert safe_harness.rasa.texts == ["第一条"]


async def test_the_same_push_resent_with_its_signature_is_a_duplicate(harness: ChannelHarness) -> None:
    """WeChat resending the very same push (same query, same body) gets `success` and is processed once."""
    params, body = signed_query(), as_json(push("重发的消息"))
    assert [(await harness.post(body, params)).text for _ in range(3)] == ["success"] * 3
    await harness.channel.wait_idle()
    assert harness.rasa.texts == ["重发的消息"]


async def test_refusals_are_logged_by_reason_without_personal_data(
    safe_harness: ChannelHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Each refusal says why (unencrypted, stale, replayed) and never who or what."""
    text = "我的身份证号370102199001011234"
    body, params = seal(push(text))
    with caplog.at_level(logging.INFO):
        await safe_harness.post(as_json(push(text)))
        await safe_harness.post(*seal(push(text), age_s=900))
        await safe_harness.post(body, params)
        other = MessageCrypto(TOKEN, [AES_KEY], FAKE_APPID).encrypt_message(
            to_xml(push("另一条")), params["timestamp"], params["nonce"])
        await safe_harness.post(to_xml({"ToUserName": MINI_PROGRAM, "Encrypt": other.encrypt}),
                                dict(params, msg_signature=other.msg_signature))
        await safe_harness.channel.wait_idle()
    refusals = [r.getMessage() for r in caplog.records if "wechat.push.refused" in r.getMessage()]
    assert [m.split("reason=")[1] for m in refusals] == ["unencrypted", "stale", "replayed"]
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert OPENID not in logs and "370102199001011234" not in logs


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


async def test_a_failed_send_is_retried_until_delivered(harness: ChannelHarness) -> None:
    """"System busy" (-1) and "too frequent" (45011) are tried again after a pause; the reply arrives."""
    harness.recorder.script_send_errcodes(-1, 45011)
    await harness.post(as_json(push("在吗")))
    await harness.channel.wait_idle()
    assert [s.errcode for s in harness.recorder.sends] == [-1, 45011, 0]
    assert len(harness.sleeps) == 2 and all(pause > 0 for pause in harness.sleeps)
    assert [s.content for s in harness.recorder.delivered(OPENID)] == ["收到。"]


async def test_a_final_refusal_is_not_retried(harness: ChannelHarness) -> None:
    """The 48-hour window having passed (45015) is final: one attempt, no pause."""
    harness.recorder.script_send_errcodes(45015)
    await harness.post(as_json(push("过期了")))
    await harness.channel.wait_idle()
    assert [s.errcode for s in harness.recorder.sends] == [45015] and harness.sleeps == []


async def test_an_undeliverable_reply_is_logged_with_its_application_number(
    harness: ChannelHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """When every attempt fails, the log keeps the application number (masked openid, no text) for staff."""
    harness.rasa.script["确认提交"] = [{"text": "张三您好，已提交，申请编号是 BF2026112704817，请记好。"}]
    harness.recorder.script_send_errcodes(*[-1] * 20)
    with caplog.at_level(logging.INFO):
        await harness.post(as_json(push("确认提交")))
        await harness.channel.wait_idle()
    assert len(harness.recorder.sends) == harness.channel.api.policy.max_attempts
    undelivered = [r for r in caplog.records if "wechat.send.undelivered" in r.getMessage()]
    assert len(undelivered) == 1 and undelivered[0].levelno == logging.ERROR
    line = undelivered[0].getMessage()
    assert "BF2026112704817" in line and "errcode=-1" in line and mask_openid(OPENID) in line
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert OPENID not in logs and "张三" not in logs and "请记好" not in logs


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


async def test_a_turn_the_tracker_store_could_not_keep_gets_the_not_kept_apology(harness: ChannelHarness) -> None:
    """The store failed during the turn: the reply Rasa made from a blank conversation is not sent; the apology is."""
    harness.rasa.store_fails = True
    await harness.post(as_json(push("确认提交")))
    await harness.channel.wait_idle()
    assert [s.content for s in harness.recorder.delivered(OPENID)] == [knowledge.message("channel_not_kept")]
