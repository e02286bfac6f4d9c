"""Limits enforced before the application sees a request: body sizes, per-address quotas on the public uploads
(photos, feedback) and a free-space guard in front of photo uploads."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from backend.errors import error_body
from backend.throttle import Rule, admit
from reissue.addresses import is_loopback
from reissue.knowledge import message
from reissue.settings import Settings

JSON_LIMIT = 256 * 1024
PHOTO_LIMIT = 200 * 1024
PHOTO_OVERHEAD = 16 * 1024
PHOTO_PATH = "/api/v1/photos"
FEEDBACK_PATH = "/api/v1/feedback"
QUOTA_WINDOW_S = 60 * 60
# What the edge limits can answer, by operation, for the OpenAPI document.
EDGE_RESPONSES: Dict[Tuple[str, str], Dict[int, str]] = {
    ("post", PHOTO_PATH): {429: "这个地址一小时内上传的照片太多（Retry-After 给出秒数）", 507: "存储空间不足，暂不接收照片"},
    ("post", FEEDBACK_PATH): {429: "这个地址一小时内提交的评价太多（Retry-After 给出秒数）"},
}

Scope = Dict
Message = Dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def limit_for(method: str, path: str) -> int:
    """The largest body accepted for a request (photo uploads get the photo size plus multipart overhead)."""
    if method == "POST" and path.rstrip("/") == PHOTO_PATH:
        return PHOTO_LIMIT + PHOTO_OVERHEAD
    return JSON_LIMIT


def too_large_body(limit: int) -> bytes:
    """The JSON body of the 413 answer."""
    message = f"提交的内容太大了，最多 {limit // 1024} KB。照片请压缩到 {PHOTO_LIMIT // 1024} KB 以内。"
    return json.dumps({"error": "payload_too_large", "message": message, "fields": {}}, ensure_ascii=False).encode()


class BodySizeLimit:
    """ASGI middleware: answer 413 when Content-Length or the streamed body exceeds the limit."""

    def __init__(self, app: Callable) -> None:
        """Wrap `app`."""
        self.app = app

    async def _reject(self, send: Send, limit: int) -> None:
        """Send the 413 answer."""
        body = too_large_body(limit)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body up to the limit, then replay it to the wrapped app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("method", "GET"), scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._reject(send, limit)
                    return
        chunks: List[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._reject(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            """Give the buffered body once, then pass through (disconnect notices)."""
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass(frozen=True)
class Quota:
    """A per-address quota on one public operation and what a refused caller is told."""

    rule: Rule
    message_key: str


def quotas(settings: Settings) -> Dict[Tuple[str, str], Quota]:
    """The per-address quotas by (method, path), sized by the settings."""
    return {
        ("POST", PHOTO_PATH): Quota(Rule("photo_upload", settings.photo_uploads_per_hour, QUOTA_WINDOW_S),
                                    "backend_photo_quota"),
        ("POST", FEEDBACK_PATH): Quota(Rule("feedback", settings.feedback_per_hour, QUOTA_WINDOW_S),
                                       "backend_feedback_quota"),
    }


def client_address(scope: Scope) -> str:
    """The caller's address (uvicorn has already replaced a trusted proxy's address by its X-Forwarded-For)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def free_bytes(folder: Path) -> int:
    """Free space on the file system that holds `folder` (or would hold it: the nearest existing parent)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return shutil.disk_usage(existing).free


async def send_error(send: Send, status: int, code: str, text: str, headers: Optional[Dict[str, str]] = None) -> None:
    """Answer with the common error body."""
    body = json.dumps(error_body(code, text), ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class EdgeQuotas:
    """ASGI middleware: per-address quotas on photo uploads and feedback (429 with Retry-After; loopback callers are
    local processes and exempt), and 507 for a photo upload when free space is under the configured minimum."""

    def __init__(self, app: Callable, factory: sessionmaker, settings: Settings) -> None:
        """Wrap `app`; count attempts through `factory`."""
        self.app = app
        self.factory = factory
        self.quotas = quotas(settings)
        self.upload_dir = settings.upload_dir
        self.min_free_bytes = settings.upload_min_free_mb * 1024 * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what is over quota or cannot be stored; pass everything else through."""
        key = (scope.get("method", ""), scope.get("path", "").rstrip("/"))
        quota = self.quotas.get(key) if scope["type"] == "http" else None
        if quota is None:
            await self.app(scope, receive, send)
            return
        if key[1] == PHOTO_PATH and free_bytes(self.upload_dir) < self.min_free_bytes:
            await send_error(send, 507, "insufficient_storage", message("backend_storage_full"))
            return
        address = client_address(scope)
        if not is_loopback(address):
            admission = await run_in_threadpool(admit, self.factory, quota.rule, address)
            if not admission.allowed:
                await send_error(send, 429, "too_many_requests", message(quota.message_key),
                                 {"Retry-After": str(admission.retry_after_s)})
                return
        await self.app(scope, receive, send)
