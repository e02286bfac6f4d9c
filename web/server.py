"""Serve the built chat page (web/dist), /config.json and the demo portal with security headers.

Run with `python -m web.server`; host and port come from `reissue.settings.get_settings()`
(REISSUE_HOST, WEB_PORT). Standard library only.
"""
from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import posixpath
import sys
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Sequence
from urllib.parse import unquote, urlsplit

from reissue.serving import serve_until_stopped
from reissue.settings import Settings, get_settings, require_safe_defaults

LOG = logging.getLogger("web.server")

WEB_DIR = Path(__file__).resolve().parent
DIST_DIR = WEB_DIR / "dist"
DEMO_PAGE = WEB_DIR / "demo-portal.html"
DEMO_WIDGET_ORIGIN = "http://127.0.0.1:8080"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json; charset=utf-8",
}


def origin_of(url: str) -> str:
    """The `scheme://host[:port]` origin of an absolute URL, or "" when it has none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def public_config(settings: Settings) -> Dict[str, str]:
    """What the page needs to know: where Rasa's REST channel and the backend are reachable."""
    return {"rasaUrl": settings.public_rasa_url, "backendUrl": settings.public_backend_url}


def web_origin(settings: Settings, port: Optional[int] = None) -> str:
    """The origin the page and widget.js are served from (a wildcard bind shows as 127.0.0.1)."""
    host = settings.host if settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port if port is not None else settings.web_port}"


def _sources(*origins: str) -> str:
    """Join CSP source expressions, skipping empty and repeated ones."""
    seen: list = []
    for origin in origins:
        if origin and origin not in seen:
            seen.append(origin)
    return " ".join(seen)


def content_security_policy(settings: Settings) -> str:
    """CSP for the chat page: only itself plus the configured Rasa and backend origins."""
    rasa = origin_of(settings.public_rasa_url)
    backend = origin_of(settings.public_backend_url)
    ancestors = settings.web_embed_origins.strip() or "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {_sources(chr(39) + 'self' + chr(39), 'data:', 'blob:', rasa, backend)}",
            f"connect-src {_sources(chr(39) + 'self' + chr(39), rasa, backend)}",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-src 'none'",
            f"frame-ancestors {ancestors}",
        ]
    )


def demo_security_policy(widget: str) -> str:
    """CSP for the demo portal page: its inline style, widget.js and the chat iframe from `widget`."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {_sources(chr(39) + 'self' + chr(39), widget)}",
            "style-src 'self' 'unsafe-inline'",
            f"frame-src {_sources(chr(39) + 'self' + chr(39), widget)}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'self'",
        ]
    )


def security_headers(csp: str) -> Dict[str, str]:
    """Headers sent with every response."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }


def cache_control(url_path: str) -> str:
    """Hashed assets are immutable; everything else is revalidated."""
    if url_path.startswith("/assets/"):
        return "public, max-age=31536000, immutable"
    return "no-cache"


def content_type(path: Path) -> str:
    """The Content-Type for a file by its suffix."""
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def normalise_path(raw_path: str) -> Optional[str]:
    """The decoded, normalised URL path, or None when it is unsafe (traversal, NUL, hidden parts)."""
    path = unquote(urlsplit(raw_path).path or "/")
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return None
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") for p in parts):
        return None
    normalised = posixpath.normpath(path)
    if normalised in ("/", "//", "."):
        return "/index.html"
    return normalised


def resolve_static(root: Path, url_path: str) -> Optional[Path]:
    """The regular file under `root` for a normalised URL path, or None (never a directory)."""
    base = root.resolve()
    candidate = (base / url_path.lstrip("/")).resolve()
    try:
        candidate.relative_to(base)
    except ValueError:
        return None
    return candidate if candidate.is_file() else None


def demo_page(widget: str) -> bytes:
    """The demo portal page with the widget tag pointing at origin `widget`."""
    html = DEMO_PAGE.read_text(encoding="utf-8")
    return html.replace(DEMO_WIDGET_ORIGIN, widget).encode("utf-8")


class ChatRequestHandler(BaseHTTPRequestHandler):
    """GET/HEAD only: /config.json, /demo-portal.html and files from dist; 404 for anything else."""

    server_version = "reissue-web/1.0"
    sys_version = ""
    timeout = 30
    protocol_version = "HTTP/1.1"

    @property
    def settings(self) -> Settings:
        """The settings snapshot the server was created with."""
        return self.server.settings  # type: ignore[attr-defined]

    @property
    def widget_origin(self) -> str:
        """The origin of this server as a portal would load widget.js from it."""
        return web_origin(self.settings, self.server.server_address[1])

    def version_string(self) -> str:
        """The Server header: no Python version."""
        return self.server_version

    @property
    def dist_dir(self) -> Path:
        """The directory of the built page."""
        return self.server.dist_dir  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        """Log requests through `logging` instead of raw stderr."""
        LOG.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, ctype: str, *, cache: str = "no-cache", csp: str = "") -> None:
        """Send a complete response with the security headers."""
        self.send_response(status)
        for name, value in security_headers(csp or content_security_policy(self.settings)).items():
            self.send_header(name, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_text(self, status: int, text: str) -> None:
        """Send a short plain-text response (errors)."""
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8", cache="no-store")

    def do_GET(self) -> None:
        """Serve one GET request."""
        path = normalise_path(self.path)
        if path is None:
            self._send_text(HTTPStatus.NOT_FOUND, "Not found\n")
            return
        if path == "/config.json":
            body = json.dumps(public_config(self.settings), ensure_ascii=False).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8", cache="no-store")
            return
        if path == "/demo-portal.html":
            self._send(HTTPStatus.OK, demo_page(self.widget_origin), CONTENT_TYPES[".html"],
                       csp=demo_security_policy(self.widget_origin))
            return
        file_path = resolve_static(self.dist_dir, path)
        if file_path is None:
            if path == "/index.html" and not (self.dist_dir / "index.html").exists():
                self._send_text(HTTPStatus.SERVICE_UNAVAILABLE,
                                "The chat page is not built yet: run `npm ci && npm run build` in web/.\n")
            else:
                self._send_text(HTTPStatus.NOT_FOUND, "Not found\n")
            return
        try:
            body = file_path.read_bytes()
        except OSError:
            self._send_text(HTTPStatus.NOT_FOUND, "Not found\n")
            return
        self._send(HTTPStatus.OK, body, content_type(file_path), cache=cache_control(path))

    def do_HEAD(self) -> None:
        """Serve HEAD like GET without the body."""
        self.do_GET()

    def _not_allowed(self) -> None:
        """Refuse methods other than GET and HEAD."""
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        for name, value in security_headers(content_security_policy(self.settings)).items():
            self.send_header(name, value)
        body = b"Method not allowed\n"
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed


def make_server(settings: Optional[Settings] = None, *, host: Optional[str] = None,
                port: Optional[int] = None, dist_dir: Path = DIST_DIR) -> ThreadingHTTPServer:
    """A bound (not yet serving) server; port 0 picks a free port."""
    settings = settings or get_settings()
    server = ThreadingHTTPServer((host if host is not None else settings.host,
                                  port if port is not None else settings.web_port), ChatRequestHandler)
    server.daemon_threads = True
    server.settings = settings  # type: ignore[attr-defined]
    server.dist_dir = Path(dist_dir)  # type: ignore[attr-defined]
    return server


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: serve until interrupted (SIGINT/SIGTERM)."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m web.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    parser.add_argument("--dist", type=Path, default=DIST_DIR, help="directory of the built page")
    args = parser.parse_args(argv)
    require_safe_defaults(replace(settings, host=args.host))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(settings, host=args.host, port=args.port, dist_dir=args.dist)
    if not (args.dist / "index.html").exists():
        LOG.warning("%s has no index.html: run `npm ci && npm run build` in web/", args.dist)

    bound_host, bound_port = server.server_address[:2]
    LOG.info("chat page on http://%s:%s (rasa %s, backend %s)", bound_host, bound_port,
             settings.public_rasa_url, settings.public_backend_url)
    return serve_until_stopped(server)


if __name__ == "__main__":
    sys.exit(main())
