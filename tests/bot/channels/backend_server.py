"""The real backend served on loopback in a thread, for the channel tests whose state lives in the backend."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from reissue.settings import get_settings
from tests.backend.backend_helpers import STAFF_TOKEN

BOT_TOKEN = "bot-token"


@dataclass(frozen=True)
class ServedBackend:
    """The backend's address and its app (for its settings and database)."""

    url: str
    app: FastAPI


def _free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_backend(folder: Path, **overrides: Any) -> Iterator[ServedBackend]:
    """Serve the backend on a fresh SQLite database with the bot token `bot-token` and the tests' staff token."""
    settings = replace(get_settings(), database_url=f"sqlite:///{folder / 'backend.sqlite'}", upload_dir=folder / "up",
                       backend_token=BOT_TOKEN, staff_token=STAFF_TOKEN, **overrides)
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                          ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield ServedBackend(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
