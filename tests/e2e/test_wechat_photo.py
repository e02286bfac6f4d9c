"""A WeChat user with a certificate printed before 2017 applies entirely in WeChat: sealed pushes into the real
Rasa server, the photo sent as an image message that the channel fetches from the fake WeChat API's
temporary-media endpoint and uploads to the real backend; the form checks it as it checks the widget's."""
from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path
from typing import List

from PIL import Image

from tests.e2e.applicant import APPLICATION, PHONE, synthetic_id
from tests.e2e.test_web_widget import make_id_photo
from tests.e2e.test_wechat import new_openid, push, text_push


def image_push(openid: str, media_id: str) -> dict:
    """An image message push, as WeChat sends it."""
    return {"ToUserName": "gh_test", "FromUserName": openid, "CreateTime": int(time.time()), "MsgType": "image",
            "PicUrl": "https://mmbiz.example/photo.jpg", "MediaId": media_id,
            "MsgId": int(uuid.uuid4().int % 10**16)}


def say(stack, openid: str, body: dict) -> str:
    """Push one message and wait for the reply it brings; return that reply's text."""
    before = len(stack.wechat.delivered(openid))
    assert push(stack, body).text == "success"
    sent = stack.wechat.wait_for_sends(before + 1, timeout=90, openid=openid)
    assert len(sent) > before, f"no reply to {body.get('Content') or body.get('MsgType')}"
    time.sleep(0.3)  # a turn's reply is one merged message; let a late second one arrive before the next push
    return "\n".join(str(s.content) for s in stack.wechat.delivered(openid)[before:])


def test_a_pre_2017_certificate_applied_for_entirely_in_wechat(stack, tmp_path: Path) -> None:
    """An image before the photo step gets a polite word; at the photo step a photo of the wrong size gets the
    same reasons as on the web; the right one is uploaded and the form goes on; confirming files exactly one
    application carrying that photo's reference."""
    openid, id_number = new_openid(), synthetic_id()
    stack.wechat.add_media("EARLY", make_id_photo(tmp_path / "early.jpg").read_bytes())
    assert "用不到照片" in say(stack, openid, image_push(openid, "EARLY"))
    answers = [("我的一建证书丢了想补办", "领到手了吗"), ("领过", "电子证书"), ("没有电子证书", "专业"),
               ("建筑工程", "哪年哪月"), ("2015年5月", "姓名"), ("张三", "身份证"), (id_number, "管理号"),
               ("不记得", "哪个市"), ("济南", "手机号"), (PHONE, "证件照")]
    reply = ""
    for text, expected in answers:
        reply = say(stack, openid, text_push(openid, text))
        assert expected in reply, f"after {text!r} expected {expected!r}, got: {reply}"
    assert "发一张照片" in reply and "上传照片" not in reply

    wrong = io.BytesIO()
    Image.new("RGB", (300, 400), "white").save(wrong, "JPEG", quality=60)
    stack.wechat.add_media("WRONG", wrong.getvalue())
    refused = say(stack, openid, image_push(openid, "WRONG"))
    assert "照片尺寸是300×400像素，需要295×413像素" in refused

    posts_before = len(stack.proxy.posts())
    stack.wechat.add_media("RIGHT", make_id_photo(tmp_path / "right.jpg").read_bytes())
    summary = say(stack, openid, image_push(openid, "RIGHT"))
    assert "请核对" in summary and "已上传" in summary and id_number not in summary
    user_texts: List[str] = [e["text"] for e in stack.tracker(f"wechat:{openid}")["events"] if e["event"] == "user"]
    photo_ref = re.search(r"照片已上传：(PH[0-9a-f]{24})", user_texts[-1]).group(1)

    done = say(stack, openid, text_push(openid, "确认提交"))
    number = APPLICATION.search(done).group(1)
    assert [item["number"] for item in stack.backend_applications(number)] == [number]
    record = stack.backend_application(number)
    assert record["photo_ref"] == photo_ref and record["channel"] == "wechat" and record["obtained"] == "2015-05"
    assert len(stack.proxy.posts()) - posts_before == 1
    assert {r["media_id"] for r in stack.wechat.media_requests} == {"WRONG", "RIGHT"}
