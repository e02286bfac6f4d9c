"""The lookup service over real HTTP on loopback: page, JSON API, status with the staff token, health."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, Optional
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests

import lookup as core
from lookup.server import create_server
from reissue import knowledge
from tests.lookup.lookup_fakes import NUMBER, STAFF_TOKEN, FakeParser, free_port_url

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
T = (2, 10)


class Running:
    """A lookup server on a free loopback port and its fakes."""

    def __init__(self, url: str, parse: FakeParser, backend: Any) -> None:
        """Keep the handles."""
        self.url = url
        self.parse = parse
        self.backend = backend


def start(parse: Any, status_fn: Any) -> tuple:
    """Start a server in a thread; (server, base URL)."""
    server = create_server("127.0.0.1", 0, parse=parse, status_fn=status_fn, now_fn=lambda: NOW)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def running(fake_parse: FakeParser, fake_backend: Any) -> Iterator[Running]:
    """The service with the fake parse and a status function pointed at the fake backend."""
    server, url = start(fake_parse, lambda number, token: core.status(number, token, core.backend_client(fake_backend.url)))
    try:
        yield Running(url, fake_parse, fake_backend)
    finally:
        server.shutdown()
        server.server_close()


def get(running: Running, path: str, token: Optional[str] = None) -> requests.Response:
    """GET with an optional Bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(running.url + path, headers=headers, timeout=T)


def test_healthz(running: Running) -> None:
    """GET /healthz → 200 {"status": "ok"}."""
    response = get(running, "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_page_is_keyboard_first_and_self_contained(running: Running) -> None:
    """An autofocused search box in a GET form (Enter submits), no scripts or external assets, strict headers."""
    response = get(running, "/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<form method="get" action="/"' in page and "autofocus" in page and 'name="q"' in page
    assert 'type="submit"' in page
    for external in ("<script", "<link", "src=", "http://", "https://", "@import"):
        assert external not in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'type="password"' in page and '<form method="post" action="/status">' in page


def test_page_shows_answers_with_access_keys(running: Running) -> None:
    """GET /?q=要登报吗 lists the three answers with access keys 1–3, confidence, full text and section."""
    page = get(running, "/?q=" + quote("要登报吗")).text
    for number in (1, 2, 3):
        assert f'accesskey="{number}"' in page
        assert f'id="answer-{number}"' in page
    assert 'accesskey="4"' not in page
    assert "1. 需要登报挂失吗" in page and "置信度 85.5%" in page
    assert knowledge.answer("newspaper") in page
    assert "出处：常见问题·需要登报挂失吗" in page
    assert page.index("需要登报挂失吗") < page.index("补办要交钱吗") < page.index("需要准备什么材料")
    assert running.parse.calls == ["要登报吗"]


def test_page_escapes_the_question(running: Running) -> None:
    """A question holding markup is echoed as text, never as HTML."""
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = get(running, "/?q=" + quote(attack)).text
    assert "<script>alert(1)</script>" not in page and "<img" not in page
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_api_lookup_json_shape(running: Running) -> None:
    """GET /api/lookup?q=… → {"question", "answers": [{key, title, confidence, answer, sources}]}."""
    response = get(running, "/api/lookup?q=" + quote("要登报吗"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["question"] == "要登报吗"
    assert [a["key"] for a in body["answers"]] == ["newspaper", "fee", "materials"]
    first = body["answers"][0]
    assert set(first) == {"key", "title", "confidence", "answer", "sources"}
    assert first["title"] == "需要登报挂失吗" and first["answer"] == knowledge.answer("newspaper")
    assert first["sources"] == ["常见问题·需要登报挂失吗"]
    assert first["confidence"] == pytest.approx(0.855)
    computed = get(running, "/api/lookup?q=" + quote("今天申请哪天能办好")).json()
    assert "2026年11月27日" in computed["answers"][0]["answer"]  # computed with the injected clock


def test_api_lookup_top_and_validation(running: Running) -> None:
    """top limits the answers; a missing q or a bad top is a 422 in the backend's error shape."""
    assert len(get(running, "/api/lookup?top=1&q=" + quote("要登报吗")).json()["answers"]) == 1
    missing = get(running, "/api/lookup")
    assert missing.status_code == 422 and missing.json()["fields"] == {"q": "请填写问题。"}
    assert get(running, "/api/lookup?q=x&top=abc").status_code == 422


def test_lookup_unavailable_is_503(fake_backend: Any) -> None:
    """No server and no model: 503 on the API and an alert on the page."""
    def broken(text: str) -> Dict[str, Any]:
        """Nothing can rank."""
        raise core.LookupUnavailable("没有找到训练好的模型")

    server, url = start(broken, None)
    try:
        api = requests.get(url + "/api/lookup?q=x", timeout=T)
        assert api.status_code == 503 and api.json()["error"] == "unavailable"
        page = requests.get(url + "/?q=x", timeout=T)
        assert page.status_code == 503 and 'role="alert"' in page.text
    finally:
        server.shutdown()
        server.server_close()


def test_status_needs_a_token(running: Running) -> None:
    """GET /api/status/{number} without a token → 401 with WWW-Authenticate; the backend is not asked."""
    response = get(running, f"/api/status/{NUMBER}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"
    assert running.backend.requests == []
    assert get(running, f"/api/status/{NUMBER}?token={STAFF_TOKEN}").status_code == 401  # never in the address


def test_status_wrong_token_is_401(running: Running) -> None:
    """The backend refuses a wrong token and the service says 401 too."""
    response = get(running, f"/api/status/{NUMBER}", token="wrong")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_status_with_bearer_returns_masked_data(running: Running) -> None:
    """With the staff token: the masked record, nothing more than the backend gave."""
    response = get(running, f"/api/status/{NUMBER}", token=STAFF_TOKEN)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["number"] == NUMBER and body["status"] == "审核不通过"
    assert body["applicant_name_masked"] == "张**"
    assert body["id_number_masked"] == "370102********1238" and body["phone_masked"] == "138****5678"
    for secret in ("张三丰", "13912345678", "sender-secret-ref", "0012345678", "id_last4", "photo_ref"):
        assert secret not in response.text
    assert running.backend.requests[0]["authorization"] == f"Bearer {STAFF_TOKEN}"


def test_status_with_form_token(running: Running) -> None:
    """POST /api/status/{number} with the token as a form field works like the header."""
    response = requests.post(f"{running.url}/api/status/{NUMBER}", data={"token": STAFF_TOKEN}, timeout=T)
    assert response.status_code == 200 and response.json()["applicant_name_masked"] == "张**"


def test_status_unknown_and_malformed_numbers(running: Running) -> None:
    """An unknown number is 404; a malformed one 422 without asking the backend."""
    assert get(running, "/api/status/BF2026112700002", token=STAFF_TOKEN).status_code == 404
    calls = len(running.backend.requests)
    assert get(running, "/api/status/not-a-number", token=STAFF_TOKEN).status_code == 422
    assert len(running.backend.requests) == calls


def test_status_page_form(running: Running) -> None:
    """The page's status form: 401 without a token; with it the masked record, markup escaped."""
    denied = requests.post(f"{running.url}/status", data={"number": NUMBER, "token": ""}, timeout=T)
    assert denied.status_code == 401 and "请填写工作人员令牌" in denied.text
    response = requests.post(f"{running.url}/status", data={"number": NUMBER, "token": STAFF_TOKEN}, timeout=T)
    assert response.status_code == 200
    page = response.text
    assert "张**" in page and "370102********1238" in page and "审核不通过" in page
    assert "张三丰" not in page and STAFF_TOKEN not in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    wrong = requests.post(f"{running.url}/status", data={"number": NUMBER, "token": "nope"}, timeout=T)
    assert wrong.status_code == 401 and "令牌不正确" in wrong.text


def test_unknown_routes_and_methods(running: Running) -> None:
    """Unknown paths are 404; POST on a GET route is 405; an oversized body is 413."""
    assert get(running, "/nope").status_code == 404
    assert requests.post(f"{running.url}/", timeout=T).status_code == 405
    assert requests.post(f"{running.url}/status", data={"x": "y" * 10000}, timeout=T).status_code == 413


def test_access_log_leaves_out_questions(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    """The question (which may hold an ID number) never reaches the log."""
    with caplog.at_level(logging.INFO, logger="lookup.server"):
        get(running, "/api/lookup?q=" + quote("我的身份证370102199003071238要登报吗"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/api/lookup" in logged
    assert "370102199003071238" not in logged and "%E8" not in logged


def test_module_serves_on_lookup_port_and_stops_on_sigterm() -> None:
    """`python -m lookup.server` binds REISSUE_HOST:LOOKUP_PORT, answers /healthz and exits on SIGTERM."""
    root = Path(__file__).resolve().parents[2]
    port = free_port_url().rsplit(":", 1)[1]
    env = {**os.environ, "PYTHONPATH": str(root), "LOOKUP_PORT": port, "REISSUE_HOST": "127.0.0.1"}
    process = subprocess.Popen([sys.executable, "-m", "lookup.server"], cwd=root, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=T)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert response.json() == {"status": "ok"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
