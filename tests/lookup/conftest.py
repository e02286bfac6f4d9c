"""Fixtures for the lookup tests: a fake parse function and a tiny staff backend on loopback."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from tests.lookup.lookup_fakes import (
    ADMIN_RECORD,
    COMPLETION_PARSE,
    HALL_PARSE,
    NEWSPAPER_PARSE,
    NUMBER,
    STAFF_TOKEN,
    FakeBackend,
    FakeParser,
)


@pytest.fixture
def fake_parse() -> FakeParser:
    """A fake parse function with the three canned results."""
    return FakeParser({"要登报吗": NEWSPAPER_PARSE, "今天申请哪天能办好": COMPLETION_PARSE, "大厅开门吗": HALL_PARSE})


@pytest.fixture
def fake_backend() -> Iterator[FakeBackend]:
    """A tiny staff API on loopback: GET /api/v1/applications/{number}/admin with the Bearer token."""
    seen = FakeBackend()

    class Handler(BaseHTTPRequestHandler):
        """The fake backend's one route."""

        def log_message(self, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            """Answer like backend.routes.api.get_admin."""
            seen.requests.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            if self.headers.get("Authorization") != f"Bearer {STAFF_TOKEN}":
                status, body = 401, {"error": "unauthorized", "message": "缺少有效的访问令牌", "fields": {}}
            elif self.path == f"/api/v1/applications/{NUMBER}/admin":
                status, body = 200, ADMIN_RECORD
            elif self.path.endswith("9999999999999/admin"):
                status, body = 500, {"error": "internal"}
            else:
                status, body = 404, {"error": "not_found", "message": "没有找到", "fields": {}}
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
