"""Tests of the WeChat photo intake: media download from the fake WeChat API, upload to a scripted backend."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Tuple

from bot.channels.wechat_api import WeChatApiClient
from bot.channels.wechat_media import MAX_MEDIA_BYTES, PhotoIntake, photo_requested
from reissue import knowledge
from tests.bot.channels.wechat_support import FakeTrackers
from tests.fakes.scripted_backend import ScriptedBackend, Step
from tests.fakes.wechat_api_server import FAKE_APPID, FAKE_SECRET, FakeWeChatRecorder

PHOTO_REF = "PH0123456789abcdef01234567"
JPEG = b"\xff\xd8\xff\xe0 a photo"


def intake(fake_wechat: Tuple[str, FakeWeChatRecorder], backend_url: str, tmp_path: Path) -> PhotoIntake:
    """A photo intake against the fake WeChat API and the given backend."""
    api = WeChatApiClient(FAKE_APPID, FAKE_SECRET, fake_wechat[0], tmp_path, timeout=(2.0, 5.0))
    return PhotoIntake(api, backend_url)


async def test_uploaded_photo_becomes_the_widgets_message(fake_wechat, backend: ScriptedBackend, tmp_path) -> None:
    """The image's bytes go to the backend as multipart `file`; the form gets "照片已上传：<reference>"."""
    fake_wechat[1].add_media("M1", JPEG)
    backend.then(Step(201, {"photo_ref": PHOTO_REF}))
    outcome = await intake(fake_wechat, backend.url, tmp_path).take("M1")
    assert outcome.text == f"照片已上传：{PHOTO_REF}" and outcome.reply is None
    (seen,) = backend.seen
    assert seen.method == "POST" and seen.path == "/api/v1/photos"
    assert seen.headers["content-type"].startswith("multipart/form-data") and JPEG in seen.body


async def test_backend_refusals_are_told_in_the_backends_words(fake_wechat, backend: ScriptedBackend, tmp_path) -> None:
    """422 names the file's problem, as the widget shows it; a 5xx or an odd answer gets the plain apology."""
    fake_wechat[1].add_media("M1", JPEG)
    backend.then(
        Step(422, {"error": "validation_error", "message": "提交的信息有误", "fields": {"file": "只能上传 JPG 或 PNG 格式的照片。"}}),
        Step(500, {"error": "internal", "message": "内部错误"}),
        Step(201, {"photo_ref": "not-a-reference"}),
    )
    photos = intake(fake_wechat, backend.url, tmp_path)
    assert (await photos.take("M1")).reply == "只能上传 JPG 或 PNG 格式的照片。"
    failed = knowledge.message("channel_wechat_photo_upload_failed")
    assert (await photos.take("M1")).reply == failed
    assert (await photos.take("M1")).reply == failed
    assert [s.path for s in backend.seen] == ["/api/v1/photos"] * 3


async def test_unreachable_backend_and_missing_media(fake_wechat, closed_port_url: str, tmp_path) -> None:
    """No backend: the apology; no media id, or one WeChat no longer holds: asked to send it again."""
    fake_wechat[1].add_media("M1", JPEG)
    photos = intake(fake_wechat, closed_port_url, tmp_path)
    assert (await photos.take("M1")).reply == knowledge.message("channel_wechat_photo_upload_failed")
    again = knowledge.message("channel_wechat_photo_not_received")
    assert (await photos.take("")).reply == again
    assert (await photos.take("EXPIRED")).reply == again


async def test_a_huge_image_is_refused_before_upload(fake_wechat, backend: ScriptedBackend, tmp_path) -> None:
    """Over the widget's 10 MB the user hears the limit and nothing is uploaded."""
    fake_wechat[1].add_media("BIG", b"\xff" * (MAX_MEDIA_BYTES + 1))
    outcome = await intake(fake_wechat, backend.url, tmp_path).take("BIG")
    assert outcome.reply == knowledge.message("channel_wechat_photo_too_big", mb=10) and "10 MB" in outcome.reply
    assert backend.seen == []


async def test_photo_requested_reads_the_form_state() -> None:
    """Only a conversation whose form asks for the photo is at the photo step."""
    trackers = FakeTrackers(requested={"wechat:a": "photo_ref", "wechat:b": "phone"})
    assert await photo_requested(trackers, "wechat:a")
    assert not await photo_requested(trackers, "wechat:b")
    assert not await photo_requested(trackers, "wechat:c")
    assert not await photo_requested(None, "wechat:a")
    idle = SimpleNamespace(retrieve=lambda _: _tracker(None))
    assert not await photo_requested(idle, "wechat:a")


async def _tracker(loop):
    """A tracker with no active form but a leftover requested slot."""
    return SimpleNamespace(active_loop_name=loop, get_slot=lambda name: "photo_ref")
