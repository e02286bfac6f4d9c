"""Start and stop every part of the assistant as child processes (used by `make run` and the e2e tests)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.retention import sql_tracker_store_in

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Service:
    """One process of the stack and how to tell it is ready."""

    name: str
    argv: List[str]
    health_url: Optional[str]
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None


@dataclass
class Stack:
    """The assistant's processes on one host, sharing one environment."""

    env: Dict[str, str]
    log_dir: Path
    services: List[Service] = field(default_factory=list)

    @classmethod
    def from_environment(cls, overrides: Optional[Dict[str, str]] = None, parts: Optional[List[str]] = None) -> "Stack":
        """Build the stack from `reissue.settings` defaults, the environment and `overrides`."""
        env = dict(os.environ)
        env.update(overrides or {})
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        for name in ("WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_AES_KEY_PREVIOUS", "WECHAT_APPID", "WECHAT_SECRET"):
            env.setdefault(name, "")
        settings = _settings_in(env)
        env.setdefault("WECHAT_API_BASE", settings.wechat_api_base)
        for key, value in {
            "RASA_PORT": settings.rasa_port, "ACTION_PORT": settings.action_port,
            "BACKEND_PORT": settings.backend_port, "WEB_PORT": settings.web_port, "LOOKUP_PORT": settings.lookup_port,
            "REISSUE_VAR_DIR": settings.var_dir, "REISSUE_BACKEND_URL": settings.backend_url,
            "SANIC_HOST": settings.host,
        }.items():
            env.setdefault(key, str(value))
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        stack = cls(env=env, log_dir=settings.var_dir / "logs")
        stack.services = [s for s in _services(settings, env) if parts is None or s.name in parts]
        return stack

    def start(self, timeout_s: float = 240.0) -> None:
        """Start every service and wait until each answers its health check."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        busy = [f"{s.name} ({s.health_url})" for s in self.services if s.health_url and _healthy(s.health_url)]
        if busy:
            raise RuntimeError(
                "something already answers where this stack would listen: " + ", ".join(busy)
                + " — stop it or choose other ports (RASA_PORT, …; E2E_PORT_OFFSET for the tests)"
            )
        for service in self.services:
            service.log_path = self.log_dir / f"{service.name}.log"
            log = open(service.log_path, "ab")  # noqa: SIM115 - the child process keeps it open
            service.process = subprocess.Popen(
                service.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        for service in self.services:
            self.wait_ready(service, deadline)

    def wait_ready(self, service: Service, deadline: float) -> None:
        """Block until `service` is healthy; raise with its log tail if it dies or times out."""
        while service.health_url:
            if service.process and service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited early:\n{self.log_tail(service)}")
            if _healthy(service.health_url):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service.name} not healthy in time:\n{self.log_tail(service)}")
            time.sleep(0.5)

    def service(self, name: str) -> Service:
        """The service called `name`."""
        return next(s for s in self.services if s.name == name)

    def restart(self, name: str, timeout_s: float = 240.0) -> None:
        """Kill one service hard and start it again (fault tests)."""
        service = self.service(name)
        _kill(service, signal.SIGKILL)
        log = open(service.log_path or self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - kept by the child
        service.process = subprocess.Popen(
            service.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.wait_ready(service, time.monotonic() + timeout_s)

    def stop(self) -> None:
        """Stop every service (SIGTERM, then SIGKILL after a grace period)."""
        for service in reversed(self.services):
            _kill(service, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for service in self.services:
            while service.process and service.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            _kill(service, signal.SIGKILL)

    def log_tail(self, service: Service, lines: int = 40) -> str:
        """The last lines of a service's log."""
        if not service.log_path or not service.log_path.exists():
            return ""
        return "\n".join(service.log_path.read_text(errors="replace").splitlines()[-lines:])


def _settings_in(env: Dict[str, str]):
    """`reissue.settings.get_settings()` evaluated in `env`."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        from reissue.settings import get_settings

        return get_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _services(settings, env: Dict[str, str]) -> List[Service]:
    """Every process of the assistant, in start order."""
    py = str(VENV_BIN / "python")
    host = settings.host
    cors = [origin.strip() for origin in settings.cors_origins.split(",") if origin.strip()]
    endpoints = env.get("RASA_ENDPOINTS", "endpoints.yml")
    tracker_retention = []  # only a SQL tracker store needs the job; the in-memory one forgets by itself
    if sql_tracker_store_in(ROOT / endpoints):
        job = [py, "-m", "bot.retention", "--endpoints", endpoints, "--interval", str(settings.retention_interval_s)]
        tracker_retention.append(Service("tracker-retention", job, None))
    rasa_argv = [
        py, "-m", "bot.server", "run", "--enable-api",  # the token comes from RASA_AUTH_TOKEN, never from argv
        "-i", host, "-p", str(settings.rasa_port), "--model", env.get("RASA_MODEL", "models/reissue.tar.gz"),
        "--endpoints", endpoints, "--credentials", "credentials.yml", "--cors", *cors,
    ]
    return [
        Service("backend", [py, "-m", "backend"], f"http://{host}:{settings.backend_port}/healthz"),
        Service("actions", [py, "-m", "actions.server"], f"http://{host}:{settings.action_port}/health"),
        Service("outbox-worker", [py, "-m", "actions.services.worker"], None),
        Service("retention", [py, "-m", "backend.retention", "--interval", str(settings.retention_interval_s)], None),
        Service("web", [py, "-m", "web.server"], f"http://{host}:{settings.web_port}/config.json"),
        Service("rasa", rasa_argv, f"http://{host}:{settings.rasa_port}/"),
        *tracker_retention,
        Service("lookup", [py, "-m", "lookup.server"], f"http://{host}:{settings.lookup_port}/healthz"),
    ]


def _healthy(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except Exception:  # noqa: BLE001 - not up yet
        return False


def _kill(service: Service, sig: int) -> None:
    """Signal a service's whole process group, if it still runs."""
    if service.process and service.process.poll() is None:
        try:
            os.killpg(service.process.pid, sig)
        except ProcessLookupError:
            pass
