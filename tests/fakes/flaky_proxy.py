"""A loopback HTTP proxy in front of the real backend that can be told to fail (fault tests)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Tuple

import requests


@dataclass
class ProxyControl:
    """What the proxy does next, and what it has seen."""

    target: str
    fail_remaining: int = 0
    fail_status: int = 503
    drop_connection: bool = False
    seen: List[Tuple[str, str, Optional[str], int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    slow_remaining: int = 0
    slow_delay_s: float = 0.0
    garbage_remaining: int = 0
    garbage_forward: bool = False
    garbage_status: int = 200
    in_flight: List[Tuple[str, Optional[str]]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def slow_next(self, count: int, delay_s: float) -> None:
        """Hold the next `count` POST requests for `delay_s` seconds, then forward them (a slow backend)."""
        with self.lock:
            self.slow_remaining, self.slow_delay_s = count, delay_s
            self.arrived.clear()

    def garbage_next(self, count: int, forward: bool = False, status: int = 200) -> None:
        """Answer the next `count` POSTs with a non-JSON body (recorded in `seen` with the status negated);
        with `forward`, only after the backend has processed them."""
        with self.lock:
            self.garbage_remaining, self.garbage_forward, self.garbage_status = count, forward, status

    def heal(self) -> None:
        """Stop every injected fault."""
        with self.lock:
            self.fail_remaining = self.slow_remaining = self.garbage_remaining = 0

    def fail_next(self, count: int, status: int = 503, drop_connection: bool = False) -> None:
        """Fail the next `count` POST requests with `status` (or by dropping the connection)."""
        with self.lock:
            self.fail_remaining, self.fail_status, self.drop_connection = count, status, drop_connection

    def posts(self, path_prefix: str = "/api/v1/applications") -> List[Tuple[str, str, Optional[str], int]]:
        """The POST requests seen on `path_prefix`: (method, path, idempotency key, status answered)."""
        return [item for item in self.seen if item[0] == "POST" and item[1].startswith(path_prefix)]


def _handler(control: ProxyControl) -> type:
    """A request handler class bound to `control`."""

    class Handler(BaseHTTPRequestHandler):
        """Forwards every request to the target unless told to fail."""

        def log_message(self, *args: object) -> None:
            """Stay quiet."""

        def _forward(self) -> None:
            """Fail or forward one request."""
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            key = self.headers.get("Idempotency-Key")
            with control.lock:
                fail = self.command == "POST" and control.fail_remaining > 0
                if fail:
                    control.fail_remaining -= 1
                drop, status = control.drop_connection, control.fail_status
            with control.lock:
                slow = self.command == "POST" and not fail and control.slow_remaining > 0
                if slow:
                    control.slow_remaining -= 1
                garbage = self.command == "POST" and not fail and control.garbage_remaining > 0
                if garbage:
                    control.garbage_remaining -= 1
                delay, forward_garbage, garbage_status = control.slow_delay_s, control.garbage_forward, control.garbage_status
            if slow:
                control.in_flight.append((self.path, key))
                control.arrived.set()
                time.sleep(delay)
            if garbage and not forward_garbage:
                control.seen.append((self.command, self.path, key, -garbage_status))
                self._garbage(garbage_status)
                return
            if fail:
                control.seen.append((self.command, self.path, key, 0 if drop else status))
                if drop:
                    self.connection.close()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error":"injected","message":"injected failure"}')
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = requests.request(self.command, control.target + self.path, data=body, headers=headers, timeout=10)
            if garbage:
                control.seen.append((self.command, self.path, key, -garbage_status))
                self._garbage(garbage_status)
                return
            control.seen.append((self.command, self.path, key, answer.status_code))
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def _garbage(self, status: int) -> None:
            """Answer with a body that is not JSON (a broken gateway page)."""
            payload = b"<html><body>502 Bad Gateway \x00\xff garbage</body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    return Handler


def start_proxy(target: str, port: int = 0) -> Tuple[ThreadingHTTPServer, ProxyControl]:
    """Start the proxy on loopback in a daemon thread; returns the server and its control."""
    control = ProxyControl(target=target.rstrip("/"))
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(control))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, control
