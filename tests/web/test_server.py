"""Tests for web/server.py: /config.json, static files, 404s, methods and security headers."""
from __future__ import annotations

import http.client
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import pytest

from reissue.settings import Settings, get_settings
from web import server as web_server
from web.server import (
    content_security_policy,
    make_server,
    normalise_path,
    origin_of,
    public_config,
    resolve_static,
)

Response = Tuple[int, Dict[str, str], bytes]


@pytest.fixture()
def dist(tmp_path: Path) -> Path:
    """A small built page: index, a hashed asset, widget.js, a folder and a file outside dist."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>chat</title>", encoding="utf-8")
    (root / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (root / "widget.js").write_text("(function(){})()", encoding="utf-8")
    (root / ".hidden").write_text("secret", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    return root


@pytest.fixture()
def settings() -> Settings:
    """Settings with distinctive public URLs."""
    return replace(
        get_settings(),
        public_rasa_url="http://rasa.example:5005",
        public_backend_url="https://backend.example",
        web_embed_origins="'self' https://portal.example",
    )


@pytest.fixture()
def base(settings: Settings, dist: Path) -> Iterator[Tuple[str, int]]:
    """A running server on a free loopback port; yields (host, port)."""
    srv = make_server(settings, host="127.0.0.1", port=0, dist_dir=dist)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def request(base: Tuple[str, int], path: str, method: str = "GET") -> Response:
    """Send `path` exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPConnection(*base, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_config_json_comes_from_settings(base: Tuple[str, int]) -> None:
    """The page learns where Rasa and the backend are; never cached."""
    status, headers, body = request(base, "/config.json")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    assert json.loads(body) == {"rasaUrl": "http://rasa.example:5005", "backendUrl": "https://backend.example"}


def test_config_defaults_follow_the_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without overrides the URLs are loopback on RASA_PORT and BACKEND_PORT."""
    monkeypatch.delenv("PUBLIC_RASA_URL", raising=False)
    monkeypatch.delenv("PUBLIC_BACKEND_URL", raising=False)
    monkeypatch.setenv("RASA_PORT", "5105")
    monkeypatch.setenv("BACKEND_PORT", "8100")
    assert public_config(get_settings()) == {
        "rasaUrl": "http://127.0.0.1:5105",
        "backendUrl": "http://127.0.0.1:8100",
    }


def test_config_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """PUBLIC_RASA_URL / PUBLIC_BACKEND_URL win, without a trailing slash."""
    monkeypatch.setenv("PUBLIC_RASA_URL", "https://chat.example.gov.cn/rasa/")
    monkeypatch.setenv("PUBLIC_BACKEND_URL", "https://api.example.gov.cn")
    assert public_config(get_settings()) == {
        "rasaUrl": "https://chat.example.gov.cn/rasa",
        "backendUrl": "https://api.example.gov.cn",
    }


def test_index_and_assets_are_served_with_types_and_caching(base: Tuple[str, int]) -> None:
    """/ is index.html (revalidated); hashed assets are immutable; widget.js is JavaScript."""
    status, headers, body = request(base, "/")
    assert status == 200 and b"<title>chat</title>" in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    status, headers, _ = request(base, "/assets/index-abc123.js")
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert "immutable" in headers["cache-control"]
    status, headers, body = request(base, "/widget.js?v=1")
    assert status == 200 and body == b"(function(){})()"
    assert headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/assets/",
        "/assets",
        "/assets/missing.js",
        "/.hidden",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/assets/..%2f..%2foutside.txt",
        "/..%5coutside.txt",
        "/index.html%00.js",
    ],
)
def test_unknown_paths_traversal_and_directories_are_404(base: Tuple[str, int], path: str) -> None:
    """No directory listing, nothing outside dist, no hidden files."""
    status, headers, body = request(base, path)
    assert status == 404
    assert b"secret" not in body and b"<a href" not in body
    assert headers["x-content-type-options"] == "nosniff"


def test_head_has_headers_without_body(base: Tuple[str, int]) -> None:
    """HEAD answers like GET with an empty body."""
    status, headers, body = request(base, "/", method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_are_refused(base: Tuple[str, int], method: str) -> None:
    """Only GET and HEAD."""
    status, headers, _ = request(base, "/config.json", method=method)
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


def test_security_headers_on_every_response(base: Tuple[str, int]) -> None:
    """CSP allows only self plus the configured Rasa and backend origins; nosniff; no Python version."""
    for path in ("/", "/config.json", "/nope"):
        _, headers, _ = request(base, path)
        csp = headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["connect-src"] == "'self' http://rasa.example:5005 https://backend.example"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'self' https://portal.example"
        assert "*" not in directives["connect-src"] and "unsafe" not in directives["script-src"]
        assert "Python" not in headers["server"]


def test_missing_build_gives_a_helpful_503(settings: Settings, tmp_path: Path) -> None:
    """Before `npm run build`, / says how to build; other paths stay 404."""
    srv = make_server(settings, host="127.0.0.1", port=0, dist_dir=tmp_path / "no-dist")
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        addr = ("127.0.0.1", srv.server_address[1])
        status, _, body = request(addr, "/")
        assert status == 503 and b"npm ci && npm run build" in body
        assert request(addr, "/widget.js")[0] == 404
        assert request(addr, "/config.json")[0] == 200
    finally:
        srv.shutdown()
        srv.server_close()


def test_demo_portal_points_at_this_server(base: Tuple[str, int]) -> None:
    """The demo page's one tag loads widget.js from the running server, and its CSP allows it."""
    status, headers, body = request(base, "/demo-portal.html")
    origin = f"http://127.0.0.1:{base[1]}"
    assert status == 200
    assert f'<script src="{origin}/widget.js" defer></script>'.encode() in body
    assert body.count(b"widget.js") == 2  # the live tag and the one shown as text
    csp = headers["content-security-policy"]
    assert f"script-src 'self' {origin}" in csp and f"frame-src 'self' {origin}" in csp


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/index.html"),
        ("/?embed=1", "/index.html"),
        ("/assets/a.js", "/assets/a.js"),
        ("/a/../b.js", None),
        ("/../x", None),
        ("/a/./b.js", None),
        ("/.git/config", None),
        ("/a%00b", None),
        ("/a%5cb", None),
    ],
)
def test_normalise_path(raw: str, expected: Optional[str]) -> None:
    """Decoded and normalised; dot segments, NUL and backslashes give None."""
    assert normalise_path(raw) == expected


def test_resolve_static_stays_inside_root(dist: Path) -> None:
    """Only regular files inside the root resolve."""
    assert resolve_static(dist, "/index.html") == (dist / "index.html").resolve()
    assert resolve_static(dist, "/assets") is None
    assert resolve_static(dist, "/../outside.txt") is None


def test_origin_of() -> None:
    """Only absolute http(s) URLs have an origin."""
    assert origin_of("https://a.example:8443/x/y?z") == "https://a.example:8443"
    assert origin_of("javascript:alert(1)") == ""
    assert origin_of("/relative") == ""


def test_csp_skips_unusable_public_urls(settings: Settings) -> None:
    """A malformed public URL adds nothing to connect-src."""
    csp = content_security_policy(replace(settings, public_rasa_url="not a url"))
    assert "connect-src 'self' https://backend.example;" in csp


def test_main_serves_until_sigterm(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m web.server` binds the configured port and stops cleanly."""
    import signal
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handlers = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: handlers.__setitem__(sig, handler))
    result = {}
    runner = threading.Thread(
        target=lambda: result.setdefault("rc", web_server.main(["--host", "127.0.0.1", "--port", str(port),
                                                                "--dist", str(dist)])),
        daemon=True,
    )
    runner.start()
    for _ in range(100):
        try:
            status, _, _ = request(("127.0.0.1", port), "/config.json")
            break
        except OSError:
            threading.Event().wait(0.05)
    else:
        pytest.fail("server did not start")
    assert status == 200
    handlers[signal.SIGTERM](signal.SIGTERM, None)
    runner.join(timeout=10)
    assert result == {"rc": 0}
