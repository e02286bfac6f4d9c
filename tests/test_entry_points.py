"""Every service refuses to start beyond this machine while a development secret is in use."""
from __future__ import annotations

from typing import Callable

import pytest

import actions.server
import bot.server
import lookup.server
import web.server

ENTRY_POINTS = {
    "rasa launcher": lambda: bot.server.main(["run"]),
    "action server": actions.server.main,
    "lookup": lambda: lookup.server.main(["--port", "0"]),
    "web page": lambda: web.server.main(["--port", "0"]),
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_a_service_refuses_development_secrets_beyond_loopback(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """REISSUE_HOST on a public address with the dev tokens → SystemExit naming a variable, before anything starts."""
    monkeypatch.setenv("REISSUE_HOST", "0.0.0.0")
    for variable in ("RASA_AUTH_TOKEN", "REISSUE_BACKEND_TOKEN", "BACKEND_STAFF_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    start: Callable[[], object] = ENTRY_POINTS[name]
    with pytest.raises(SystemExit, match="RASA_AUTH_TOKEN"):
        start()
