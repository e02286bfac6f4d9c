"""One real stack per test session: backend, action server, outbox worker, web page and the Rasa server.

The action server reaches the backend through a loopback proxy that tests can tell to fail, and the
WeChat channel talks to a local fake of the WeChat API. Everything runs on its own ports and its own
temporary data folder, so `make run` can stay up beside the tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import psycopg2
import pytest
import requests
from playwright.sync_api import Browser, sync_playwright

from scripts.stack import Stack
from tests.fakes.flaky_proxy import ProxyControl, start_proxy
from tests.fakes.wechat_api_server import FAKE_APPID, FAKE_SECRET, FakeWeChatRecorder, start_fake_wechat_api

# E2E_PORT_OFFSET lets two test runs (e.g. two developers on one machine) use separate ports.
OFFSET = int(os.environ.get("E2E_PORT_OFFSET", "0") or 0)
PORTS = {
    name: port + OFFSET
    for name, port in {"RASA_PORT": 15005, "ACTION_PORT": 15055, "BACKEND_PORT": 18000, "WEB_PORT": 18080, "LOOKUP_PORT": 18090}.items()
}
CHROMIUM = "/usr/bin/chromium"  # Debian's package (make browser), driven by Playwright; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WECHAT_TOKEN = "e2e-wechat-token"
WECHAT_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
BOT_TOKEN = "e2e-bot-token"
STAFF_TOKEN = "e2e-staff-token"
RASA_TOKEN = "e2e-rasa-token"


@dataclass
class RunningStack:
    """Handles on the running stack for tests."""

    stack: Stack
    rasa_url: str
    action_url: str
    backend_url: str
    web_url: str
    proxy: ProxyControl
    wechat: FakeWeChatRecorder
    wechat_api_base: str
    staff_token: str = STAFF_TOKEN
    bot_token: str = BOT_TOKEN
    rasa_token: str = RASA_TOKEN
    wechat_token: str = WECHAT_TOKEN
    wechat_aes_key: str = WECHAT_AES_KEY
    wechat_appid: str = FAKE_APPID
    var_dir: Optional[Path] = None

    def send(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """One user message through the REST channel; the bot's replies."""
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def texts(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> str:
        """The bot's reply texts to one message, joined."""
        return "\n".join(m.get("text", "") for m in self.send(sender, text, metadata) if m.get("text"))

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The conversation tracker from Rasa's HTTP API."""
        response = requests.get(
            f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": self.rasa_token}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def backend_applications(self, query: str = "") -> List[Dict[str, Any]]:
        """Applications stored in the backend, through the staff API."""
        response = requests.get(
            f"{self.backend_url}/api/v1/applications",
            params={"q": query} if query else {},
            headers={"Authorization": f"Bearer {self.staff_token}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        return body["items"] if isinstance(body, dict) else body

    def backend_application(self, number: str) -> Dict[str, Any]:
        """One application's full record through the staff API."""
        response = requests.get(
            f"{self.backend_url}/api/v1/applications/{number}/admin",
            headers={"Authorization": f"Bearer {self.staff_token}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


def keep_dump(stack: RunningStack, database: str) -> Path:
    """Dump a PostgreSQL database the tests used (before it is dropped) under the stack's var folder, for the
    storage scan of test_zz_log_scan.py: pg_dump's plain SQL when installed, else every text column by SELECT;
    bytea columns are added decoded either way (pg_dump writes them as hex, which would hide plaintext)."""
    folder = Path(str(stack.var_dir)) / "postgresql"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{database}.sql"
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    dumped = shutil.which("pg_dump") is not None
    if dumped:
        subprocess.run(["pg_dump", "--no-owner", "--dbname", url, "--file", str(target)], check=True, timeout=300)
    kinds = ("bytea",) if dumped else ("bytea", "text", "character varying", "character", "json", "jsonb")
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor, open(target, "a", encoding="utf-8") as out:
            cursor.execute("SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND data_type IN %s",
                           (kinds,))
            for schema, table, column, kind in cursor.fetchall():
                out.write(f"-- {schema}.{table}.{column} ({kind})\n")
                cursor.execute(f'SELECT "{column}" FROM "{schema}"."{table}"')
                for (value,) in cursor.fetchall():
                    if value is not None:
                        text = bytes(value).decode("utf-8", "replace") if kind == "bytea" else str(value)
                        out.write(text + "\n")
    finally:
        connection.close()
    return target


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The whole assistant, started once per test session."""
    var_dir = tmp_path_factory.mktemp("stack-var")
    backend_url = f"http://127.0.0.1:{PORTS['BACKEND_PORT']}"
    proxy_server, proxy = start_proxy(backend_url)
    wechat_base, wechat, stop_wechat = start_fake_wechat_api()
    env = {key: str(value) for key, value in PORTS.items()}
    env.update(
        {
            "REISSUE_VAR_DIR": str(var_dir),
            "REISSUE_BACKEND_URL": f"http://127.0.0.1:{proxy_server.server_address[1]}",
            "REISSUE_BACKEND_TOKEN": BOT_TOKEN,
            "BACKEND_STAFF_TOKEN": STAFF_TOKEN,
            "RASA_AUTH_TOKEN": RASA_TOKEN,
            "REISSUE_BACKEND_MAX_ATTEMPTS": "3",
            "REISSUE_BACKEND_MAX_TOTAL": "6",
            "OUTBOX_WORKER_INTERVAL": "1",
            "OUTBOX_RETRY_BASE": "2",
            "CORS_ORIGINS": f"http://127.0.0.1:{PORTS['WEB_PORT']}",
            "WECHAT_TOKEN": WECHAT_TOKEN,
            "WECHAT_AES_KEY": WECHAT_AES_KEY,
            "WECHAT_APPID": FAKE_APPID,
            "WECHAT_SECRET": FAKE_SECRET,
            "WECHAT_API_BASE": wechat_base,
            "LOG_LEVEL": "INFO",
            "HANDOFF_HOURS": "always",
        }
    )
    running_stack = Stack.from_environment(env)
    try:
        running_stack.start(timeout_s=300)
        yield RunningStack(
            stack=running_stack,
            rasa_url=f"http://127.0.0.1:{PORTS['RASA_PORT']}",
            action_url=f"http://127.0.0.1:{PORTS['ACTION_PORT']}",
            backend_url=backend_url,
            web_url=f"http://127.0.0.1:{PORTS['WEB_PORT']}",
            proxy=proxy,
            wechat=wechat,
            wechat_api_base=wechat_base,
            var_dir=var_dir,
        )
    finally:
        running_stack.stop()
        proxy_server.shutdown()
        stop_wechat()


@pytest.fixture(autouse=True)
def healthy_backend_after_each_test(stack: RunningStack) -> Iterator[None]:
    """Whatever a test did to the proxy, the next test starts with a working backend."""
    yield
    stack.proxy.fail_next(0)


def create_reviewer(stack: RunningStack, name: str, password: str) -> subprocess.CompletedProcess:
    """Create a reviewer account in the stack's backend with the real command line (`python -m backend accounts`)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["REISSUE_VAR_DIR"] = str(stack.var_dir)
    return subprocess.run(
        [sys.executable, "-m", "backend", "accounts", "create", name, "--role", "reviewer"],
        input=password + "\n", capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium per test module."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def sender() -> str:
    """A fresh conversation id."""
    return f"e2e-{uuid.uuid4().hex[:12]}"


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark every test in this folder as end-to-end (so `make test-unit` can leave them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
