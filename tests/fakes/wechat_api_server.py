"""A local fake of the WeChat API server (/cgi-bin/token, /cgi-bin/message/custom/send, /cgi-bin/media/get) for
tests.

Usage (sync or async tests, or an end-to-end test with Rasa in another process):

    base_url, recorder, stop = start_fake_wechat_api()
    ...  # point WECHAT_API_BASE at base_url
    recorder.wait_for_sends(2)
    stop()
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlparse

FAKE_APPID = "wx_fake_appid_0001"
FAKE_SECRET = "fake-secret-0001"


@dataclass
class SentMessage:
    """One call to the send API as the fake saw it."""

    access_token: str
    body: Dict[str, Any]
    errcode: int

    @property
    def touser(self) -> str:
        """Return the recipient openid."""
        return str(self.body.get("touser", ""))

    @property
    def content(self) -> Optional[str]:
        """Return the text content, for text messages."""
        text = self.body.get("text")
        return text.get("content") if isinstance(text, dict) else None


@dataclass
class FakeWeChatRecorder:
    """Records calls and holds the scripted behaviour of the fake server (thread-safe)."""

    appid: str = FAKE_APPID
    secret: str = FAKE_SECRET
    expires_in: int = 7200
    token_requests: List[Dict[str, str]] = field(default_factory=list)
    sends: List[SentMessage] = field(default_factory=list)
    valid_tokens: List[str] = field(default_factory=list)
    send_errcodes: List[int] = field(default_factory=list)
    send_delay_s: float = 0.0
    media: Dict[str, Tuple[bytes, str]] = field(default_factory=dict)
    media_requests: List[Dict[str, str]] = field(default_factory=list)
    _counter: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def issue_token(self) -> str:
        """Create a new token; like WeChat, older tokens stay valid (until `invalidate_tokens`)."""
        with self._cond:
            self._counter += 1
            token = f"fake-token-{self._counter}"
            self.valid_tokens.append(token)
            return token

    def invalidate_tokens(self) -> None:
        """Make every token issued so far invalid (the next send answers 40001)."""
        with self._cond:
            self.valid_tokens.clear()

    def script_send_errcodes(self, *codes: int) -> None:
        """Answer the next sends with these errcodes (0 = success), in order."""
        with self._cond:
            self.send_errcodes.extend(codes)

    def record_send(self, token: str, body: Dict[str, Any]) -> int:
        """Decide the errcode of a send and record it."""
        with self._cond:
            if token not in self.valid_tokens:
                errcode = 40001
            elif self.send_errcodes:
                errcode = self.send_errcodes.pop(0)
            else:
                errcode = 0
            self.sends.append(SentMessage(token, body, errcode))
            self._cond.notify_all()
            return errcode

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Hold a temporary media file (an image a user sent) under `media_id`."""
        with self._cond:
            self.media[media_id] = (data, content_type)

    def take_media(self, query: Dict[str, str]) -> Tuple[Optional[Tuple[bytes, str]], int]:
        """Record a media download; return the file (or None) and the errcode WeChat would answer."""
        with self._cond:
            self.media_requests.append(query)
            if query.get("access_token", "") not in self.valid_tokens:
                return None, 40001
            found = self.media.get(query.get("media_id", ""))
            return (found, 0) if found is not None else (None, 40007)

    def record_token_request(self, query: Dict[str, str]) -> None:
        """Record a token request."""
        with self._cond:
            self.token_requests.append(query)
            self._cond.notify_all()

    def delivered(self, openid: Optional[str] = None) -> List[SentMessage]:
        """Return the accepted sends (errcode 0), optionally for one user."""
        with self._cond:
            return [s for s in self.sends if s.errcode == 0 and (openid is None or s.touser == openid)]

    def wait_for(self, predicate: Callable[["FakeWeChatRecorder"], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate(self)` holds or `timeout` passes; return whether it held."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def wait_for_sends(self, count: int, timeout: float = 10.0, openid: Optional[str] = None) -> List[SentMessage]:
        """Wait until `count` messages were delivered (to `openid` if given) and return them."""
        self.wait_for(lambda r: len(r.delivered(openid)) >= count, timeout)
        return self.delivered(openid)


def _make_handler(recorder: FakeWeChatRecorder) -> type:
    """Build the request handler class bound to `recorder`."""

    class Handler(BaseHTTPRequestHandler):
        """Serves the two WeChat endpoints the channel uses."""

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _reply(self, payload: Dict[str, Any], status: int = 200) -> None:
            """Write a JSON answer."""
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _media(self, query: Dict[str, str]) -> None:
            """Answer GET /cgi-bin/media/get with the file, or a JSON errcode as WeChat does."""
            found, errcode = recorder.take_media(query)
            if found is None:
                self._reply({"errcode": errcode, "errmsg": "invalid media_id" if errcode == 40007 else "invalid token"})
                return
            data, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Disposition", 'attachment; filename="media.jpg"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            """Handle GET /cgi-bin/token and /cgi-bin/media/get."""
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/cgi-bin/media/get":
                self._media(query)
                return
            if url.path != "/cgi-bin/token":
                self._reply({"errcode": 404, "errmsg": "not found"}, 404)
                return
            recorder.record_token_request(query)
            if query.get("grant_type") != "client_credential":
                self._reply({"errcode": 40002, "errmsg": "invalid grant_type"})
            elif query.get("appid") != recorder.appid or query.get("secret") != recorder.secret:
                self._reply({"errcode": 40125, "errmsg": "invalid appsecret"})
            else:
                self._reply({"access_token": recorder.issue_token(), "expires_in": recorder.expires_in})

        def do_POST(self) -> None:
            """Handle POST /cgi-bin/message/custom/send."""
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if url.path != "/cgi-bin/message/custom/send":
                self._reply({"errcode": 404, "errmsg": "not found"}, 404)
                return
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                self._reply({"errcode": 47001, "errmsg": "data format error"})
                return
            if recorder.send_delay_s:
                time.sleep(recorder.send_delay_s)
            errcode = recorder.record_send(query.get("access_token", ""), body)
            self._reply({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "scripted error"})

    return Handler


def start_fake_wechat_api(
    appid: str = FAKE_APPID, secret: str = FAKE_SECRET, expires_in: int = 7200
) -> Tuple[str, FakeWeChatRecorder, Callable[[], None]]:
    """Start the fake on a free loopback port in a daemon thread; return (base_url, recorder, stop)."""
    recorder = FakeWeChatRecorder(appid=appid, secret=secret, expires_in=expires_in)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(recorder))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-wechat-api", daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]

    def stop() -> None:
        """Shut the server down and free the port."""
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{port}", recorder, stop
