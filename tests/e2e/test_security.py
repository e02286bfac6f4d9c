"""Security properties of the running stack: API token, CORS, loopback binding, request size and rate limits."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Set, Tuple

import pytest
import requests

from reissue import knowledge
from tests.e2e.conftest import PORTS

ROOT = Path(__file__).resolve().parents[2]
EVIL = "http://evil.example"


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/status"), ("GET", "/conversations/someone/tracker"), ("POST", "/model/parse"),
     ("GET", "/domain"), ("POST", "/conversations/someone/tracker/events"), ("PUT", "/model")],
)
def test_rasa_http_api_needs_the_token(stack, method: str, path: str) -> None:
    """No token or a wrong one: 401/403; nothing of a conversation comes back."""
    for params in ({}, {"token": "wrong-token"}):
        response = requests.request(method, f"{stack.rasa_url}{path}", params=params, json={"text": "你好"}, timeout=30)
        assert response.status_code in (401, 403), (path, params, response.status_code)
        assert "events" not in response.text


def test_the_right_token_opens_the_api_and_webhooks_stay_public(stack, sender) -> None:
    """With the token the API answers; the REST webhook needs none (it is the public channel)."""
    assert stack.texts(sender, "补办要登报吗")
    tracker = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.rasa_token}, timeout=30)
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == sender
    assert requests.get(f"{stack.rasa_url}/status", params={"token": stack.rasa_token}, timeout=30).status_code == 200


def test_cors_allows_only_configured_origins(stack) -> None:
    """The configured web origin is echoed back; any other origin gets no CORS grant."""
    allowed = stack.stack.env["CORS_ORIGINS"].split(",")[0].strip()
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    good = requests.options(url, headers={"Origin": allowed, **preflight}, timeout=30)
    assert good.headers.get("Access-Control-Allow-Origin") == allowed
    bad = requests.options(url, headers={"Origin": EVIL, **preflight}, timeout=30)
    assert bad.headers.get("Access-Control-Allow-Origin") not in (EVIL, "*")
    post = requests.post(url, json={"sender": f"cors-{uuid.uuid4().hex[:6]}", "message": "你好"}, headers={"Origin": EVIL}, timeout=60)
    assert post.headers.get("Access-Control-Allow-Origin") not in (EVIL, "*")
    backend = requests.options(
        f"{stack.backend_url}/api/v1/applications", headers={"Origin": EVIL, **preflight}, timeout=30
    )
    assert backend.headers.get("access-control-allow-origin") not in (EVIL, "*")


def listening_addresses(port: int) -> Set[str]:
    """Local addresses with a TCP socket listening on `port`, read from /proc/net/tcp and tcp6."""
    found: Set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                raw = bytes.fromhex(address)
                if width == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_every_server_listens_on_loopback_only(stack) -> None:
    """The action server (no auth of its own) and every other part bind 127.0.0.1, never 0.0.0.0 or ::."""
    for name, port in PORTS.items():
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on {name} {port}"
        assert addresses <= {"127.0.0.1", "::1"}, f"{name} listens on {addresses}"


def test_loopback_is_the_default_host() -> None:
    """With no REISSUE_HOST set, the settings (and so the action server's SANIC_HOST) say 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k not in ("REISSUE_HOST", "SANIC_HOST")}
    code = "from reissue.settings import get_settings; print(get_settings().host)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "127.0.0.1"


def test_oversized_requests_are_refused_politely(stack) -> None:
    """A 200 kB body gets 413 with a JSON list the widget can show, and the bot still works after."""
    body = json.dumps({"sender": "big-body", "message": "补" * 200_000}).encode()
    response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413 and response.json() == [{"text": knowledge.message("channel_too_big")}]
    assert stack.texts(f"after-big-{uuid.uuid4().hex[:6]}", "补办要登报吗")


def test_rate_limit_per_sender_with_a_polite_message(stack) -> None:
    """35 messages from one sender at once: 30 answered, the rest asked politely to slow down; others unaffected."""
    sender = f"flood-{uuid.uuid4().hex[:8]}"

    def one(index: int) -> Tuple[int, List[str]]:
        response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": "你好"}, timeout=120)
        return response.status_code, [m.get("text", "") for m in response.json()]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(35)))
    assert {status for status, _ in results} == {200}
    slow_down = knowledge.message("channel_slow_down")
    slowed = [texts for _, texts in results if texts == [slow_down]]
    assert len(slowed) == 5, f"{len(slowed)} slowed down"
    assert all(texts and texts != [slow_down] for _, texts in results if texts != [slow_down])
    assert stack.texts(f"calm-{uuid.uuid4().hex[:8]}", "补办要登报吗") != slow_down


def post_blank(stack, sender: str, forwarded_for: str = "") -> List[str]:
    """A blank message (counted by the limits, no Rasa turn), optionally as if relayed for `forwarded_for`."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": " "},
                             headers=headers, timeout=60)
    assert response.status_code == 200
    return [m.get("text", "") for m in response.json()]


def test_rotating_sender_ids_do_not_escape_the_per_address_limit(stack) -> None:
    """Behind the (loopback) proxy, 125 messages from one client address under 125 sender ids: 120 are taken,
    5 are asked to slow down; loopback callers themselves (benchmarks, these tests) are limited only per sender."""
    client = f"203.0.113.{uuid.uuid4().int % 200 + 1}"
    with ThreadPoolExecutor(8) as pool:
        relayed = list(pool.map(lambda i: post_blank(stack, f"rot-{uuid.uuid4().hex[:10]}", client), range(125)))
        local = list(pool.map(lambda i: post_blank(stack, f"loc-{uuid.uuid4().hex[:10]}"), range(125)))
    slow_down = [knowledge.message("channel_slow_down")]
    assert sum(texts == slow_down for texts in relayed) == 5
    assert not any(texts == slow_down for texts in local)


def test_a_rest_client_cannot_claim_another_channel(stack, sender) -> None:
    """metadata.channel and input_channel saying wechat are overwritten: the tracker says rest."""
    body = {"sender": sender, "message": "补办要登报吗", "metadata": {"channel": "wechat"}, "input_channel": "wechat"}
    assert requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60).status_code == 200
    user = [e for e in requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.rasa_token},
                                    timeout=30).json()["events"] if e["event"] == "user"]
    assert user[-1]["input_channel"] == "rest" and user[-1]["metadata"]["channel"] == "rest"
