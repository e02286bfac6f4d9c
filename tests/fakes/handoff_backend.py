"""A small in-memory stand-in for the backend's handoff API over real HTTP (open, user messages, updates), with
staff steps for the tests: `reply`, `release`. Usage: `fake = start_handoff_backend(); ...; fake.stop()`."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple


@dataclass
class FakeHandoff:
    """One queued conversation as the fake holds it."""

    id: int
    token: str
    summary: Dict[str, Any]
    status: str = "waiting"
    user_texts: List[str] = field(default_factory=list)
    messages: List[Dict[str, Any]] = field(default_factory=list)


class FakeHandoffBackend:
    """The queue in memory, behind a loopback HTTP server."""

    def __init__(self) -> None:
        """Empty queue; not listening yet."""
        self.handoffs: Dict[int, FakeHandoff] = {}
        self.bot_tokens: List[str] = []
        self.lock = threading.Lock()
        self.url = ""
        self._server: Optional[ThreadingHTTPServer] = None
        self._ids = 0

    def _message(self, handoff: FakeHandoff, author: str, text: str) -> None:
        """Add a staff or system message."""
        self._ids += 1
        handoff.messages.append({"id": self._ids, "author": author, "text": text})

    def reply(self, handoff_id: int, text: str) -> None:
        """A member of staff takes (if needed) and answers."""
        with self.lock:
            handoff = self.handoffs[handoff_id]
            handoff.status = "taken"
            self._message(handoff, "staff", text)

    def release(self, handoff_id: int, notice: str = "已交回智能助手。") -> None:
        """Staff hand the conversation back."""
        with self.lock:
            handoff = self.handoffs[handoff_id]
            handoff.status = "released"
            self._message(handoff, "system", notice)

    def answer(self, path: str, body: Dict[str, Any], auth: str) -> Tuple[int, Dict[str, Any]]:
        """The fake's answer to one POST."""
        with self.lock:
            if path == "/api/v1/handoffs":
                self.bot_tokens.append(auth)
                handoff = FakeHandoff(len(self.handoffs) + 1, f"token-{len(self.handoffs) + 1:03d}-{'x' * 20}",
                                      body.get("summary") or {})
                self.handoffs[handoff.id] = handoff
                return 201, {"id": handoff.id, "token": handoff.token, "ahead": len(self.handoffs) - 1}
            parts = path.strip("/").split("/")
            handoff = self.handoffs.get(int(parts[3])) if len(parts) == 5 and parts[3].isdigit() else None
            if handoff is None or body.get("token") != handoff.token:
                return 404, {"error": "not_found", "message": "没有找到", "fields": {}}
            if parts[4] == "user-messages":
                if handoff.status not in ("waiting", "taken"):
                    return 409, {"error": "conflict", "message": "已经结束", "fields": {}}
                handoff.user_texts.append(str(body.get("text")))
            after = int(body.get("after") or 0)
            return 200, {"status": handoff.status, "ahead": 0,
                         "messages": [m for m in handoff.messages if m["id"] > after]}

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def start_handoff_backend() -> FakeHandoffBackend:
    """Start the fake on a free loopback port."""
    fake = FakeHandoffBackend()

    class Handler(BaseHTTPRequestHandler):
        """Serves the handoff API's POSTs."""

        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

        def do_POST(self) -> None:
            """Answer one POST."""
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = fake.answer(self.path, json.loads(raw or b"{}"), self.headers.get("Authorization", ""))
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake._server = server
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return fake
