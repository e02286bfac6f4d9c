"""Photos sent as WeChat image messages: fetched through the temporary-media API, uploaded to the backend like the
widget's upload, and handed to the form as the same "照片已上传：<reference>" the widget sends.

The form then checks the photo against the guide exactly as for the web; what the backend refuses (too large, not
a JPG or PNG, unreadable) is told to the user in the backend's own words, as the widget does.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import requests

from bot.channels.wechat_api import MEDIA_TOO_LARGE, WeChatApiClient
from reissue import knowledge
from reissue.application import find_photo_ref

logger = logging.getLogger(__name__)

PHOTO_SLOT = "photo_ref"
PHOTO_PATH = "/api/v1/photos"
MAX_MEDIA_BYTES = 10 * 1024 * 1024  # the widget's own limit before it uploads
MAX_DETAIL_CHARS = 200  # a longer backend message is not shown to the user (as in the widget)
UPLOAD_TIMEOUT: Tuple[float, float] = (3.05, 15.0)
FILE_NAMES = {"image/png": "wechat.png"}


@dataclass(frozen=True)
class PhotoOutcome:
    """What one image message leads to: the text the form receives, or a reply for the user instead."""

    text: Optional[str] = None
    reply: Optional[str] = None


async def photo_requested(tracker_store: Any, sender_id: str) -> bool:
    """True when the conversation's form is waiting for the photo (its requested slot is the photo)."""
    if tracker_store is None:
        return False
    tracker = await tracker_store.retrieve(sender_id)
    return bool(tracker is not None and tracker.active_loop_name and tracker.get_slot("requested_slot") == PHOTO_SLOT)


def error_detail(response: requests.Response) -> str:
    """The backend's own words for a refused upload (`fields.file`, else `message`), or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    fields = body.get("fields")
    detail = fields.get("file") if isinstance(fields, dict) else None
    detail = detail if isinstance(detail, str) and detail.strip() else body.get("message")
    return detail.strip() if isinstance(detail, str) and len(detail.strip()) <= MAX_DETAIL_CHARS else ""


class PhotoIntake:
    """Turns a WeChat image into an uploaded photo reference, or a polite reason why not."""

    def __init__(self, api: WeChatApiClient, backend_url: str, session: Optional[requests.Session] = None) -> None:
        """Use `api` for the media download and the backend at `backend_url` for the upload."""
        self.api = api
        self.backend_url = backend_url.rstrip("/")
        self._session = session

    @property
    def session(self) -> requests.Session:
        """The HTTP session to the backend, created on first use."""
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def upload_sync(self, data: bytes, content_type: str) -> PhotoOutcome:
        """Upload the photo as the widget does (multipart field `file`); never raise."""
        name = FILE_NAMES.get(content_type, "wechat.jpg")
        try:
            response = self.session.post(f"{self.backend_url}{PHOTO_PATH}",
                                         files={"file": (name, data, content_type or "image/jpeg")},
                                         timeout=UPLOAD_TIMEOUT)
        except requests.RequestException as exc:
            logger.warning("wechat.photo.upload_failed error=%s", type(exc).__name__)
            return PhotoOutcome(reply=knowledge.message("channel_wechat_photo_upload_failed"))
        if response.status_code == 201:
            try:
                ref = find_photo_ref(str(response.json().get("photo_ref") or ""))
            except (ValueError, AttributeError):
                ref = None
            if ref:
                return PhotoOutcome(text=knowledge.message("channel_wechat_photo_uploaded", photo_ref=ref))
        logger.warning("wechat.photo.upload_refused status=%s", response.status_code)
        detail = error_detail(response) if 400 <= response.status_code < 500 else ""
        return PhotoOutcome(reply=detail or knowledge.message("channel_wechat_photo_upload_failed"))

    async def take(self, media_id: str) -> PhotoOutcome:
        """Fetch the image `media_id` and upload it; the outcome says what the form or the user gets."""
        if not media_id:
            return PhotoOutcome(reply=knowledge.message("channel_wechat_photo_not_received"))
        media = await self.api.fetch_media(media_id, MAX_MEDIA_BYTES)
        if media.errcode == MEDIA_TOO_LARGE:
            return PhotoOutcome(reply=knowledge.message("channel_wechat_photo_too_big", mb=MAX_MEDIA_BYTES // 2**20))
        if not media.ok:
            return PhotoOutcome(reply=knowledge.message("channel_wechat_photo_not_received"))
        return await asyncio.to_thread(self.upload_sync, media.data, media.content_type)
