"""Request body size limits, enforced before the application sees the body."""
from __future__ import annotations

import json
from typing import Awaitable, Callable, Dict, List

JSON_LIMIT = 256 * 1024
PHOTO_LIMIT = 200 * 1024
PHOTO_OVERHEAD = 16 * 1024
PHOTO_PATH = "/api/v1/photos"

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
