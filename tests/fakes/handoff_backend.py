"""A small stand-in for the backend's channel handoff API over real HTTP, for the WeChat channel tests that are not
about the handoff: nobody is ever in a handoff (every relay goes back to the assistant, no reply waits to be pushed);
it records the paths asked. Usage: `fake = start_handoff_backend(); ...; fake.stop()`. The handoff tests use the real
backend instead (tests/bot/channels/test_wechat_handoff.py)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple


class FakeHandoffBackend:
    """No handoff anywhere, behind a loopback HTTP server."""

    def __init__(self) -> None:
        """Nothing asked yet; not listening yet."""
        self.paths: List[str] = []
        self.lock = threading.Lock()
        self.url = ""
        self._server: Optional[ThreadingHTTPServer] = None

    def answer(self, path: str) -> Tuple[int, Dict[str, Any]]:
        """The fake's answer to one POST."""
        with self.lock:
            self.paths.append(path)
        if path == "/api/v1/channel-handoffs/relay":
            return 200, {"route": "assistant", "handoff_id": None, "replies": []}
        if path == "/api/v1/channel-handoffs/claim":
            return 200, {"items": [], "open": 0}
        return 404, {"error": "not_found", "message": "没有找到", "fields": {}}

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def start_handoff_backend() -> FakeHandoffBackend:
    """Start the fake on a free loopback port."""
    fake = FakeHandoffBackend()

    class Handler(BaseHTTPRequestHandler):
        """Serves the channel handoff API's POSTs."""

        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

        def do_POST(self) -> None:
            """Answer one POST."""
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = fake.answer(self.path)
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
