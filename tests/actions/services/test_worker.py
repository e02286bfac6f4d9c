"""Tests of the outbox delivery worker: one pass, the loop, and the standalone command."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from actions.services.outbox import DELIVERED, PENDING, REJECTED, Outbox, retry_delay_s
from actions.services.worker import deliver_pending, run_worker
from clients.backend import SubmitOutcome
from tests.fakes.backend_client import FakeBackendClient
from tests.fakes.scripted_backend import ScriptedBackend, Step

if TYPE_CHECKING:  # fixture types only
    from tests.actions.services.conftest import Clock, OutboxTarget

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
APPLICATION = {"name": "王五", "id_number": "11010519491231002X", "phone": "13800138000", "qualification": "注册会计师"}


async def test_deliver_pending_delivers_due_rows_and_purges(outbox_target: "OutboxTarget") -> None:
    """One pass delivers every due row, counts them and drops their personal data."""
    outbox = outbox_target.open()
    keys = [outbox.put({**APPLICATION, "n": i}).key for i in range(3)]
    fake = FakeBackendClient()
    assert await deliver_pending(outbox, fake) == 3
    assert sorted(fake.submitted_keys) == sorted(keys)
    for key in keys:
        record = outbox.get(key)
        assert record is not None and record.status == DELIVERED and record.application is None
    assert await deliver_pending(outbox, fake) == 0
    assert len(fake.calls) == 3


async def test_deliver_pending_leaves_failures_for_later(outbox_target: "OutboxTarget", clock: "Clock") -> None:
    """Unavailable rows stay pending (attempts counted) and are not retried before their backoff."""
    outbox = outbox_target.open(clock=clock)
    key = outbox.put(APPLICATION).key
    fake = FakeBackendClient().script_submit("unavailable")
    assert await deliver_pending(outbox, fake) == 0
    record = outbox.get(key)
    assert record is not None and (record.status, record.attempts) == (PENDING, 1)
    assert record.application == APPLICATION
    assert await deliver_pending(outbox, fake) == 0 and len(fake.calls) == 1
    clock.advance(retry_delay_s(1) + 1)
    assert await deliver_pending(outbox, fake) == 1
    assert fake.submitted_keys == [key, key]


async def test_deliver_pending_purges_rejected_rows(outbox_target: "OutboxTarget") -> None:
    """A rejected row keeps no personal data either, and is not counted as delivered."""
    outbox = outbox_target.open()
    key = outbox.put(APPLICATION).key
    assert await deliver_pending(outbox, FakeBackendClient().script_submit(SubmitOutcome("rejected", message="bad"))) == 0
    record = outbox.get(key)
    assert record is not None and record.status == REJECTED and record.application is None


async def test_deliver_pending_honours_the_limit(outbox_target: "OutboxTarget") -> None:
    """limit bounds the work of one pass."""
    outbox = outbox_target.open()
    for i in range(4):
        outbox.put({**APPLICATION, "n": i})
    assert await deliver_pending(outbox, FakeBackendClient(), limit=3) == 3
    assert len(outbox.pending()) == 1


class FlakyOutbox(Outbox):
    """An outbox whose first pending() call fails as if the database were briefly down."""

    failures = 1

    def pending(self, *args: Any, **kwargs: Any) -> Any:
        """Fail once, then behave."""
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is down")
        return super().pending(*args, **kwargs)


async def test_run_worker_survives_a_failing_pass_and_stops_on_request(tmp_path: Any) -> None:
    """The loop logs a failed pass, delivers on the next one, and returns soon after stop is set."""
    outbox = FlakyOutbox(f"sqlite:///{tmp_path / 'o.sqlite'}", first_try_grace_s=0)
    key = outbox.put(APPLICATION).key
    fake = FakeBackendClient()
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(stop, 0.05, outbox=outbox, client=fake))
    deadline = time.monotonic() + 10
    while not fake.calls and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    stop.set()
    result = await asyncio.wait_for(worker, 5)
    assert result == 1 and fake.submitted_keys == [key]
    assert outbox.failures == 0


def _env(tmp_path: Any, backend_url: str) -> dict:
    """Environment for a child Python pointing at a temp outbox and the scripted backend."""
    env = dict(os.environ)
    env.update({"OUTBOX_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "REISSUE_BACKEND_URL": backend_url,
                "REISSUE_BACKEND_TOKEN": "cli-token", "PYTHONPATH": ROOT})
    return env


def test_command_line_once_delivers_through_http(tmp_path: Any, backend: ScriptedBackend) -> None:
    """`python -m actions.services.worker --once` reads the settings and delivers a queued row."""
    outbox = Outbox(f"sqlite:///{tmp_path / 'cli.sqlite'}", first_try_grace_s=0)
    item = outbox.put(APPLICATION)
    done = subprocess.run([sys.executable, "-m", "actions.services.worker", "--once"], cwd=ROOT,
                          env=_env(tmp_path, backend.url), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [post] = backend.posts()
    assert post.headers["idempotency-key"] == item.key
    assert post.headers["authorization"] == "Bearer cli-token"
    assert outbox.get(item.key).status == DELIVERED  # type: ignore[union-attr]
    assert "11010519491231002X" not in done.stderr + done.stdout


def test_command_line_loop_stops_on_sigterm(tmp_path: Any, backend: ScriptedBackend) -> None:
    """The standalone worker keeps retrying a failing backend and exits cleanly on SIGTERM."""
    backend.then(*[Step(503) for _ in range(3)])
    outbox = Outbox(f"sqlite:///{tmp_path / 'cli.sqlite'}", first_try_grace_s=0)
    outbox.put(APPLICATION)
    env = _env(tmp_path, backend.url)
    env["REISSUE_BACKEND_MAX_ATTEMPTS"] = "3"
    proc = subprocess.Popen([sys.executable, "-m", "actions.services.worker", "--interval", "0.2"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(backend.posts()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(backend.posts()) == 3
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopped" in out
    assert outbox.counts() == {PENDING: 1}


def test_importing_the_package_starts_nothing(tmp_path: Any) -> None:
    """Importing the services opens no database, creates no file and starts no thread."""
    path = tmp_path / "never.sqlite"
    code = ("import threading, actions.services, actions.services.worker, tests.fakes.backend_client;"
            "print(threading.active_count())")
    env = dict(os.environ, OUTBOX_URL=f"sqlite:///{path}", PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert not path.exists()
