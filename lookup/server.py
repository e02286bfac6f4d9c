"""The lookup service for hotline staff: a keyboard-first page, a JSON API and /healthz (standard library).

Run with `python -m lookup.server`; it binds REISSUE_HOST:LOOKUP_PORT (default 127.0.0.1:8090).
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import re
import sys
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

import lookup as core
from reissue import knowledge
from reissue.application import REASON_LABELS
from reissue.logging_setup import configure_logging
from reissue.masking import scrub
from reissue.serving import serve_until_stopped
from reissue.settings import get_settings, require_safe_defaults

LOG = logging.getLogger("lookup.server")

MAX_BODY_BYTES = 4096
StatusFn = Callable[[str, str], Dict[str, Any]]
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'; img-src 'none'"
)
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 422: "validation_error",
               502: "bad_gateway", 503: "unavailable"}
STATUS_PATH = re.compile(r"^/api/status/([^/]{1,64})$")

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; font: 20px/1.6 "PingFang SC",
  "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #000; background: #fff; }
h1 { font-size: 1.4rem; margin: .25rem 0 .75rem; }
h2 { font-size: 1.15rem; margin: 0; }
label { font-weight: bold; display: block; margin-bottom: .25rem; }
input { font: inherit; padding: .4rem .6rem; border: 3px solid #000; border-radius: 4px; color: #000;
  background: #fff; }
input[name=q] { width: 100%; }
button { font: inherit; font-weight: bold; padding: .4rem 1.2rem; border: 3px solid #000; border-radius: 4px;
  color: #fff; background: #003d99; cursor: pointer; flex: none; white-space: nowrap; }
a { color: #003d99; }
:focus { outline: 4px solid #ffbf00; outline-offset: 2px; }
.row { display: flex; gap: .5rem; align-items: center; }
.hint { color: #222; font-size: .9rem; margin: .25rem 0 0; }
ol.answers { list-style: none; padding: 0; }
ol.answers > li { border: 3px solid #000; border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
.conf { font-weight: bold; background: #000; color: #fff; padding: 0 .4rem; border-radius: 3px; }
.text { white-space: pre-wrap; margin: .5rem 0; }
.src { margin: 0; font-size: .9rem; }
.error { border: 3px solid #a00000; color: #a00000; padding: .5rem .75rem; font-weight: bold; }
dl.status { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.status dt { font-weight: bold; }
dl.status dd { margin: 0; }
hr { border: 0; border-top: 3px solid #000; margin: 2rem 0 1rem; }
"""


def esc(value: Any) -> str:
    """HTML-escape any value (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def page(body: str, title: Optional[str] = None) -> str:
    """A whole HTML document around `body`, titled like the page unless `title` is given."""
    title = knowledge.message("lookup_page_title") if title is None else title
    return (
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def search_form(question: str) -> str:
    """The search box: autofocused, Enter submits."""
    return (
        f"<h1>{esc(knowledge.message('lookup_page_title'))}</h1>"
        "<form method=\"get\" action=\"/\" role=\"search\">"
        f"<label for=\"q\">{esc(knowledge.message('lookup_question_label'))}</label>"
        "<div class=\"row\">"
        f"<input id=\"q\" name=\"q\" type=\"search\" value=\"{esc(question)}\" autofocus autocomplete=\"off\" "
        f"maxlength=\"{core.MAX_QUESTION_CHARS}\" aria-describedby=\"q-hint\">"
        f"<button type=\"submit\">{esc(knowledge.message('lookup_search_button'))}</button></div>"
        f"<p id=\"q-hint\" class=\"hint\">{esc(knowledge.message('lookup_search_hint'))}</p>"
        "</form>"
    )


def answers_html(answers: List[core.Answer]) -> str:
    """The ranked answers as a list; the first three carry access keys 1–3."""
    if not answers:
        return f"<p role=\"status\">{esc(knowledge.message('lookup_no_answers'))}</p>"
    items = []
    for number, item in enumerate(answers, start=1):
        accesskey = f" accesskey=\"{number}\"" if number <= 3 else ""
        confidence = knowledge.message("lookup_confidence", percent=item.confidence * 100)
        source = knowledge.message("lookup_source", sources="；".join(item.sources) or "—")
        items.append(
            f"<li><h2><a href=\"#answer-{number}\"{accesskey}>{number}. {esc(item.title)}</a> "
            f"<span class=\"conf\">{esc(confidence)}</span></h2>"
            f"<div id=\"answer-{number}\" tabindex=\"-1\"><p class=\"text\">{esc(item.answer_text)}</p>"
            f"<p class=\"src\">{esc(source)}（{esc(item.key)}）</p></div></li>"
        )
    return f"<ol class=\"answers\" aria-label=\"{esc(knowledge.message('lookup_results_label'))}\">{''.join(items)}</ol>"


def status_form(number: str = "") -> str:
    """The status form; the token goes in the POST body, never in the address."""
    return (
        f"<hr><h2 id=\"status\">{esc(knowledge.message('lookup_status_form_heading'))}</h2>"
        "<form method=\"post\" action=\"/status\">"
        f"<label for=\"number\">{esc(knowledge.message('lookup_field_number'))}</label>"
        f"<input id=\"number\" name=\"number\" value=\"{esc(number)}\" autocomplete=\"off\" maxlength=\"32\" "
        "placeholder=\"BF2026112704817\">"
        f"<label for=\"token\">{esc(knowledge.message('lookup_token_label'))}</label>"
        "<div class=\"row\"><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\">"
        f"<button type=\"submit\">{esc(knowledge.message('lookup_status_button'))}</button></div></form>"
    )


def status_html(record: Dict[str, Any]) -> str:
    """A masked application record as a definition list."""
    label = record.get("status_label") or ""
    state = str(record.get("status") or "") + (f"（{label}）" if label and label != record.get("status") else "")
    cert = " ".join(str(record[n]) for n in ("qualification", "level", "specialty") if record.get(n))
    unknown = record.get("cert_number_unknown")
    cert_number = knowledge.message("lookup_cert_number_unknown") if unknown else record.get("cert_number_masked")
    rows: List[Tuple[str, Any]] = [
        (knowledge.message("lookup_field_number"), record.get("number")),
        (knowledge.message("lookup_field_status"), state),
        (knowledge.message("lookup_field_review_reason"), record.get("review_reason")),
        (knowledge.message("lookup_field_reason"), REASON_LABELS.get(str(record.get("reason")), record.get("reason"))),
        (knowledge.message("lookup_field_certificate"), cert),
        (knowledge.message("lookup_field_obtained"), record.get("obtained")),
        (knowledge.message("lookup_field_cert_number"), cert_number),
        (knowledge.message("lookup_field_applicant"), record.get("applicant_name_masked")),
        (knowledge.message("lookup_field_id_number"), record.get("id_number_masked")),
        (knowledge.message("lookup_field_phone"), record.get("phone_masked")),
        (knowledge.message("lookup_field_city"), record.get("city")),
        (knowledge.message("lookup_field_channel"), record.get("channel")),
        (knowledge.message("lookup_field_created_at"), record.get("created_at")),
        (knowledge.message("lookup_field_updated_at"), record.get("updated_at")),
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v if v not in (None, '') else '—')}</dd>" for k, v in rows)
    audit = "".join(
        f"<li>{esc(e.get('at'))}：{esc(e.get('from_status') or '—')} → {esc(e.get('to_status') or '—')}"
        + (f"，{esc(knowledge.message('lookup_audit_actor', actor=e['actor']))}" if e.get("actor") else "")
        + (f"，{esc(knowledge.message('lookup_audit_note', reason=e['reason']))}" if e.get("reason") else "")
        + "</li>"
        for e in record.get("audit") or []
    )
    return (
        f"<section aria-labelledby=\"status-result\" tabindex=\"-1\">"
        f"<h2 id=\"status-result\">{esc(knowledge.message('lookup_status_heading'))}</h2>"
        f"<dl class=\"status\">{items}</dl><h2>{esc(knowledge.message('lookup_audit_heading'))}</h2>"
        f"<ol>{audit or '<li>—</li>'}</ol></section>"
    )


def bearer_token(header: Optional[str]) -> str:
    """The token of an `Authorization: Bearer <token>` header, or ''."""
    scheme, _, token = str(header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class LookupHandler(BaseHTTPRequestHandler):
    """Routes of the lookup service; `server` carries the injected parse and status functions."""

    server_version = "reissue-lookup"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # -------------------------------------------------------------- plumbing

    def log_message(self, format: str, *args: Any) -> None:
        """Log without query strings (questions may hold personal data) and with numbers scrubbed."""
        line = format % args
        path = getattr(self, "path", "")
        if path:
            line = line.replace(path, urlsplit(path).path)
        LOG.info("%s %s", self.address_string(), scrub(line))

    def _send(self, status: int, body: bytes, content_type: str, extra: Optional[Dict[str, str]] = None) -> None:
        """Write one response with the security headers."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", CSP)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, extra: Optional[Dict[str, str]] = None) -> None:
        """A JSON response."""
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", extra)

    def send_html(self, status: int, document: str, extra: Optional[Dict[str, str]] = None) -> None:
        """An HTML response."""
        self._send(status, document.encode("utf-8"), "text/html; charset=utf-8", extra)

    def send_error_json(self, status: int, code: str, message: str, extra: Optional[Dict[str, str]] = None) -> None:
        """The error body shape of the backend: {"error", "message", "fields"}."""
        self.send_json(status, {"error": code, "message": message, "fields": {}}, extra)

    def read_form(self) -> Optional[Dict[str, str]]:
        """The urlencoded POST body as a dict (first value each); None when too large or unreadable."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        raw = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        return {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}

    # -------------------------------------------------------------- actions

    def run_lookup(self, question: str, top: int = 3) -> List[core.Answer]:
        """The injected (or default) lookup."""
        now = self.server.now_fn() if self.server.now_fn else None  # type: ignore[attr-defined]
        return core.lookup(question, top=top, parse=self.server.parse, now=now)  # type: ignore[attr-defined]

    def run_status(self, number: str, token: str) -> Dict[str, Any]:
        """The injected (or default) status lookup."""
        return (self.server.status_fn or core.status)(number, token)  # type: ignore[attr-defined]

    # -------------------------------------------------------------- routes

    def do_HEAD(self) -> None:
        """HEAD like GET without the body."""
        self.do_GET()

    def do_GET(self) -> None:
        """The page, the JSON lookup, the status API and the health check."""
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/healthz":
            self.send_json(200, {"status": "ok"})
        elif parts.path == "/":
            self.page_get((query.get("q") or [""])[0])
        elif parts.path == "/api/lookup":
            self.api_lookup(query)
        elif STATUS_PATH.match(parts.path):
            number = unquote(STATUS_PATH.match(parts.path).group(1))  # type: ignore[union-attr]
            self.api_status(number, bearer_token(self.headers.get("Authorization")))
        elif parts.path == "/status":
            self.send_html(405, page(search_form("") + status_form()), {"Allow": "POST"})
        else:
            self.send_error_json(404, "not_found", knowledge.message("lookup_api_no_such_path"))

    def do_POST(self) -> None:
        """The status form (HTML) and the status API with the token as a form field."""
        parts = urlsplit(self.path)
        match = STATUS_PATH.match(parts.path)
        if parts.path != "/status" and not match:
            if parts.path in ("/", "/api/lookup", "/healthz"):
                self.send_error_json(405, "method_not_allowed", knowledge.message("lookup_api_get_only"),
                                     {"Allow": "GET, HEAD"})
            else:
                self.send_error_json(404, "not_found", knowledge.message("lookup_api_no_such_path"))
            return
        form = self.read_form()
        if form is None:
            self.send_error_json(413, "too_large", knowledge.message("lookup_api_too_large"))
            return
        token = bearer_token(self.headers.get("Authorization")) or form.get("token", "").strip()
        if match:
            self.api_status(unquote(match.group(1)), token)
        else:
            self.page_status(form.get("number", ""), token)

    def page_get(self, question: str) -> None:
        """The search page, with the answers when a question was asked."""
        question = core.clean_question(question)
        body = search_form(question)
        status = 200
        if question:
            try:
                body += answers_html(self.run_lookup(question))
            except core.LookupUnavailable as error:
                status = 503
                body += f"<p class=\"error\" role=\"alert\">{esc(knowledge.message('lookup_unavailable', reason=error))}</p>"
        self.send_html(status, page(body + status_form()))

    def page_status(self, number: str, token: str) -> None:
        """The page with an application's status (or why not)."""
        number = number.strip()[:32]
        body = search_form("")
        if not token:
            body += f"<p class=\"error\" role=\"alert\">{esc(knowledge.message('lookup_page_token_missing'))}</p>"
            self.send_html(401, page(body + status_form(number)))
            return
        try:
            record = self.run_status(number, token)
        except core.StatusError as error:
            body += f"<p class=\"error\" role=\"alert\">{esc(error.message)}</p>"
            self.send_html(error.status_code, page(body + status_form(number)))
            return
        self.send_html(200, page(body + status_html(record) + status_form(number)))

    def api_lookup(self, query: Dict[str, List[str]]) -> None:
        """JSON of the ranked answers of ?q=…[&top=…]."""
        question = core.clean_question((query.get("q") or [""])[0])
        if not question:
            self.send_json(422, {"error": "validation_error", "message": knowledge.message("lookup_api_question_missing"),
                                 "fields": {"q": knowledge.message("lookup_api_question_field")}})
            return
        try:
            top = min(max(int((query.get("top") or ["3"])[0]), 1), 10)
        except ValueError:
            invalid = knowledge.message("lookup_api_top_invalid")
            self.send_json(422, {"error": "validation_error", "message": invalid, "fields": {"top": invalid}})
            return
        try:
            answers = self.run_lookup(question, top)
        except core.LookupUnavailable as error:
            self.send_error_json(503, "unavailable", knowledge.message("lookup_unavailable", reason=error))
            return
        self.send_json(200, {"question": question, "answers": [core.answer_dict(a) for a in answers]})

    def api_status(self, number: str, token: str) -> None:
        """JSON of an application's masked status; 401 without a token."""
        if not token:
            self.send_error_json(401, "unauthorized", knowledge.message("lookup_api_token_missing"),
                                 {"WWW-Authenticate": "Bearer"})
            return
        try:
            record = self.run_status(number, token)
        except core.StatusError as error:
            extra = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
            code = ERROR_CODES.get(error.status_code, "error")
            self.send_error_json(error.status_code, code, error.message, extra)
            return
        self.send_json(200, record)


def create_server(
    host: str,
    port: int,
    parse: Optional[core.ParseFn] = None,
    status_fn: Optional[StatusFn] = None,
    now_fn: Optional[Callable[[], datetime]] = None,
) -> ThreadingHTTPServer:
    """A lookup server bound to host:port (port 0 picks a free one); parse/status/clock may be injected."""
    server = ThreadingHTTPServer((host, port), LookupHandler)
    server.daemon_threads = True
    server.parse = parse  # type: ignore[attr-defined]
    server.status_fn = status_fn  # type: ignore[attr-defined]
    server.now_fn = now_fn  # type: ignore[attr-defined]
    return server


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serve until SIGTERM or Ctrl-C."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m lookup.server", description=knowledge.message("lookup_server_description"))
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.lookup_port)
    args = parser.parse_args(list(argv) if argv is not None else None)
    require_safe_defaults(replace(settings, host=args.host))
    configure_logging()
    server = create_server(args.host, args.port)
    LOG.info("lookup service on http://%s:%s/", args.host, server.server_address[1])
    return serve_until_stopped(server)


if __name__ == "__main__":
    sys.exit(main())
