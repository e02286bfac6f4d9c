"""`python -m backend`: access-log lines lose their query strings; development secrets never serve beyond
loopback; X-Forwarded-For believed only from the trusted proxies."""
from __future__ import annotations

import logging
import os

import pytest

import backend.__main__ as backend_main
from backend.__main__ import DropQueryStrings
from reissue.settings import development_defaults, get_settings, require_safe_defaults
from tests.backend.backend_helpers import ID_A


def test_access_log_filter_drops_query_strings():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/api/v1/applications?q={ID_A}", "1.1", 200), None)
    assert DropQueryStrings().filter(record) is True
    assert ID_A not in record.getMessage() and "/api/v1/applications" in record.getMessage()


# --- refusing development secrets off loopback ---------------------------------------------------------

SECRETS = ("REISSUE_BACKEND_TOKEN", "BACKEND_STAFF_TOKEN", "RASA_AUTH_TOKEN", "BACKEND_ID_HMAC_KEY", "BACKEND_ID_SECRET",
           "OUTBOX_KEY")


def clean_environment(monkeypatch, host: str) -> None:
    """Every secret at its development default, the server on `host`."""
    for name in list(os.environ):
        if name.endswith(("_TOKEN", "_KEY", "_SECRET")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REISSUE_HOST", host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_development_secrets_refuse_to_serve_beyond_loopback(monkeypatch, host):
    clean_environment(monkeypatch, host)
    monkeypatch.setattr(backend_main, "serve", lambda settings: pytest.fail("served with development secrets"))
    with pytest.raises(SystemExit) as refused:
        backend_main.main([])
    text = str(refused.value)
    assert f"REISSUE_HOST={host}" in text
    assert all(name in text for name in SECRETS)


def test_only_the_variables_still_at_their_default_are_named(monkeypatch):
    clean_environment(monkeypatch, "0.0.0.0")
    unsafe = development_defaults(get_settings())
    assert set(SECRETS) <= set(unsafe)
    for name in unsafe:
        if name != "BACKEND_STAFF_TOKEN":
            monkeypatch.setenv(name, "a-secret-of-its-own")
    assert development_defaults(get_settings()) == ["BACKEND_STAFF_TOKEN"]
    monkeypatch.setenv("BACKEND_STAFF_TOKEN", "a-real-staff-token")
    require_safe_defaults(get_settings())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_development_secrets_are_fine_on_loopback(monkeypatch, host):
    clean_environment(monkeypatch, host)
    served = []
    monkeypatch.setattr(backend_main, "serve", served.append)
    assert backend_main.main([]) == 0 and served and served[0].host == host


def test_the_server_believes_forwarded_for_only_from_the_trusted_proxies(monkeypatch, settings):
    from dataclasses import replace

    config = backend_main.server_config(replace(settings, trusted_proxies="10.1.2.3"), app=object())
    assert config.proxy_headers is True and config.forwarded_allow_ips == "10.1.2.3"
