"""A scriptable stand-in for the intake backend over real HTTP, and its fixtures (`backend`, `closed_port_url`)."""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Seen:
    """One request the scripted backend received."""

    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        """The request body decoded as JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Step:
    """One scripted answer: a status/body, optionally delayed, or a dropped connection."""

    status: int = 200
    body: Any = None
    raw: Optional[bytes] = None
    headers: Dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False


class ScriptedBackend:
    """A tiny stand-in for the intake backend: scripted answers first, then a correct idempotent store."""

    def __init__(self) -> None:
        """Empty script, empty store."""
        self.seen: List[Seen] = []
        self.script: List[Step] = []
        self.per_request_delay_s = 0.0
        self.stored: Dict[str, Dict[str, Any]] = {}
        self.statuses: Dict[str, Dict[str, Any]] = {}
        self.photos: Dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.server: Optional[ThreadingHTTPServer] = None
        self.url = ""
        self.thread: Optional[threading.Thread] = None

    def then(self, *steps: Step) -> "ScriptedBackend":
        """Queue answers for the next requests, in order."""
        with self.lock:
            self.script.extend(steps)
        return self

    def posts(self) -> List[Seen]:
        """Every POST /api/v1/applications received."""
        return [s for s in self.seen if s.method == "POST"]

    def answer(self, seen: Seen) -> Step:
        """Pick the scripted step, or behave like the real backend."""
        with self.lock:
            self.seen.append(seen)
            if self.script:
                return self.script.pop(0)
        if seen.method == "POST" and seen.path == "/api/v1/applications":
            key = seen.headers.get("idempotency-key", "")
            with self.lock:
                if key in self.stored:
                    entry = self.stored[key]
                    if entry["body"] != seen.body:
                        return Step(409, {"error": "conflict", "message": "key reused", "fields": {}})
                    return Step(200, entry["answer"])
                answer = {"number": f"SD{len(self.stored) + 1:06d}", "status": "received", "created_at": "2026-11-27T10:00:00+08:00"}
                self.stored[key] = {"body": seen.body, "answer": answer}
            return Step(201, answer)
        if seen.method == "GET" and seen.path.startswith("/api/v1/applications/"):
            number = seen.path.rsplit("/", 1)[1]
            entry = self.statuses.get(number)
            if entry and seen.query.get("id_last4") == [entry["_last4"]]:
                return Step(200, {k: v for k, v in entry.items() if k != "_last4"})
            return Step(404, {"error": "not_found", "message": "not found"})
        if seen.method == "GET" and seen.path.startswith("/api/v1/photos/"):
            ref = seen.path.rsplit("/", 1)[1]
            if ref in self.photos:
                return Step(200, raw=self.photos[ref], headers={"Content-Type": "image/jpeg"})
            return Step(404, {"error": "not_found"})
        return Step(404, {"error": "not_found"})


def handler_for(backend: ScriptedBackend) -> type:
    """A request handler class bound to `backend`."""

    class Handler(BaseHTTPRequestHandler):
        """Reads a request, asks the backend for a step, plays it."""

        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

        def _handle(self) -> None:
            """Common path for every method."""
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            seen = Seen(self.command, parts.path, parse_qs(parts.query),
                        {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
            step = backend.answer(seen)
            delay = step.delay_s + backend.per_request_delay_s
            if delay:
                time.sleep(delay)
            if step.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            payload = step.raw if step.raw is not None else (
                b"" if step.body is None else json.dumps(step.body, ensure_ascii=False).encode("utf-8"))
            try:
                self.send_response(step.status)
                headers = {"Content-Type": "application/json"}
                headers.update(step.headers)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = _handle
        do_POST = _handle

    return Handler


def start_backend() -> "ScriptedBackend":
    """Start a scripted backend on a free loopback port (call `stop_backend` when done)."""
    fake = ScriptedBackend()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(fake))
    server.daemon_threads = True
    server.block_on_close = False
    fake.server = server
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    fake.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    fake.thread.start()
    return fake


def stop_backend(fake: "ScriptedBackend") -> None:
    """Stop the server started by `start_backend`."""
    assert fake.server is not None
    fake.server.shutdown()
    fake.server.server_close()
    if fake.thread is not None:
        fake.thread.join(timeout=5)


@pytest.fixture
def backend() -> Iterator[ScriptedBackend]:
    """A scripted backend listening on a free loopback port for the duration of one test."""
    fake = start_backend()
    try:
        yield fake
    finally:
        stop_backend(fake)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
