"""Tests of the durable outbox on SQLite and PostgreSQL: store first, deliver once, survive crashes."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List

import pytest

from actions.services.outbox import (
    DEAD,
    DELIVERED,
    PENDING,
    REFERENCE_ALPHABET,
    REJECTED,
    Outbox,
    retry_delay_s,
    serialize_application,
)
from actions.services.worker import deliver_pending
from clients.backend import HttpBackendClient, RetryPolicy, SubmitOutcome
from tests.fakes.backend_client import FakeBackendClient
from tests.fakes.scripted_backend import ScriptedBackend, Step

if TYPE_CHECKING:  # fixture types only; conftest is not imported at run time
    from tests.actions.services.conftest import Clock, OutboxTarget

APPLICATION: Dict[str, Any] = {
    "name": "李四", "id_number": "11010519491231002X", "phone": "13800138000",
    "qualification": "一级建造师", "obtained": "2015-05", "city": "济南",
}


async def no_pause(seconds: float) -> None:
    """Skip the pause between attempts."""


def http_client(url: str) -> HttpBackendClient:
    """A real client with short timeouts and no pauses."""
    return HttpBackendClient(url, "t", connect_timeout_s=2, read_timeout_s=5,
                             policy=RetryPolicy(max_attempts=2, max_total_s=10), sleep=no_pause)


class CrashAfterSend(FakeBackendClient):
    """A client whose process 'dies' right after the backend stored the application."""

    async def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """Let the fake backend store it, then die before the outbox can record it."""
        await super().submit(application, idempotency_key)
        raise KeyboardInterrupt("process killed")


class SlowFake(FakeBackendClient):
    """A fake backend that takes a while to answer (to widen race windows)."""

    async def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """Pause, then answer like the fake."""
        await asyncio.sleep(0.2)
        return await super().submit(application, idempotency_key)


def test_put_stores_pending_with_key_and_reference(outbox_target: OutboxTarget) -> None:
    """put writes the row before anything is sent: pending, full payload, uuid4 hex key, 6-char reference."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    assert re.fullmatch(r"[0-9a-f]{32}", item.key)
    assert len(item.reference) == 6 and set(item.reference) <= set(REFERENCE_ALPHABET)
    record = outbox.get(item.key)
    assert record is not None
    assert (record.status, record.application, record.attempts, record.number) == (PENDING, APPLICATION, 0, None)
    assert outbox.find_by_reference(item.reference.lower()) == record
    assert [r.key for r in outbox.pending()] == [item.key]


def test_put_refuses_what_json_cannot_hold(outbox_target: OutboxTarget) -> None:
    """A non-serialisable application fails loudly and stores nothing."""
    outbox = outbox_target.open()
    with pytest.raises(TypeError):
        outbox.put({"when": object()})
    with pytest.raises(TypeError):
        outbox.put(["not", "a", "dict"])  # type: ignore[arg-type]
    assert outbox.pending() == []


async def test_crash_between_store_and_send_loses_nothing(outbox_target: OutboxTarget) -> None:
    """put, then the process dies; a new Outbox on the same storage still has it and delivers it once."""
    first = outbox_target.open()
    item = first.put(APPLICATION)
    first.dispose()
    del first

    restarted = outbox_target.open()
    assert [r.key for r in restarted.pending()] == [item.key]
    fake = FakeBackendClient()
    outcome = await restarted.deliver(item.key, fake)
    assert outcome.kind == "submitted" and outcome.number == "FAKE000001"
    record = restarted.get(item.key)
    assert record is not None and (record.status, record.number, record.attempts) == (DELIVERED, "FAKE000001", 1)
    assert restarted.pending() == []
    assert fake.submitted_keys == [item.key]
    assert fake.calls[0].args[0] == APPLICATION


async def test_resend_after_failure_uses_the_same_key(outbox_target: OutboxTarget, clock: Clock) -> None:
    """First delivery fails (unavailable: attempts and error recorded), the second sends the same key."""
    outbox = outbox_target.open(clock=clock)
    item = outbox.put(APPLICATION)
    fake = FakeBackendClient().script_submit(SubmitOutcome("unavailable", message="HTTP 503 for 11010519491231002X"))
    assert (await outbox.deliver(item.key, fake)).kind == "unavailable"
    record = outbox.get(item.key)
    assert record is not None and record.status == PENDING and record.attempts == 1
    assert record.last_error is not None and "11010519491231002X" not in record.last_error
    assert record.next_attempt_at == pytest.approx(clock.now + retry_delay_s(1))
    assert (await outbox.deliver(item.key, fake)).kind == "submitted"
    assert fake.submitted_keys == [item.key, item.key]
    record = outbox.get(item.key)
    assert record is not None and (record.status, record.attempts, record.last_error) == (DELIVERED, 2, None)


async def test_double_deliver_of_a_delivered_row_sends_nothing(outbox_target: OutboxTarget) -> None:
    """Delivering a delivered row again answers from the outbox without calling the backend."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    fake = FakeBackendClient()
    first = await outbox.deliver(item.key, fake)
    again = await outbox.try_deliver(item.key, fake)
    assert first.kind == "submitted"
    assert (again.outcome.kind, again.outcome.number, again.sent) == ("duplicate", first.number, False)
    assert fake.submitted_keys == [item.key]


async def test_backend_dedups_a_resend_over_http(outbox_target: OutboxTarget, backend: ScriptedBackend) -> None:
    """The backend stored it but the answer was lost (slow): the resend carries the same key → one application."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    backend.per_request_delay_s = 0.0
    slow_client = HttpBackendClient(backend.url, "t", connect_timeout_s=1, read_timeout_s=0.3,
                                    policy=RetryPolicy(max_attempts=1, max_total_s=5), sleep=lambda s: None)
    backend.then(Step(201, {"number": "SD-lost"}, delay_s=1.0))  # answer comes too late
    assert (await outbox.deliver(item.key, slow_client)).kind == "unavailable"
    backend.stored[item.key] = {"body": backend.posts()[0].body,  # the backend did store it
                                "answer": {"number": "SD000777", "status": "received", "created_at": "x"}}
    outcome = await outbox.deliver(item.key, http_client(backend.url))
    assert (outcome.kind, outcome.number) == ("duplicate", "SD000777")
    assert [p.headers["idempotency-key"] for p in backend.posts()] == [item.key, item.key]
    assert backend.posts()[0].body == backend.posts()[1].body
    record = outbox.get(item.key)
    assert record is not None and (record.status, record.number) == (DELIVERED, "SD000777")


async def test_crash_after_send_is_resent_with_the_same_key_after_the_lease(outbox_target: OutboxTarget, clock: Clock) -> None:
    """Killed mid-delivery: the row stays pending and claimed; after the lease it is re-sent, deduplicated."""
    outbox = outbox_target.open(clock=clock, lease_s=60)
    item = outbox.put(APPLICATION)
    crashing = CrashAfterSend()
    with pytest.raises(KeyboardInterrupt):
        await outbox.deliver(item.key, crashing)
    restarted = outbox_target.open(clock=clock, lease_s=60)
    record = restarted.get(item.key)
    assert record is not None and record.status == PENDING and record.claimed_until is not None

    survivor = FakeBackendClient()
    survivor.stored = crashing.stored  # the same backend
    busy = await restarted.try_deliver(item.key, survivor)
    assert (busy.outcome.kind, busy.sent) == ("unavailable", False)
    assert survivor.calls == []
    clock.advance(61)
    outcome = await restarted.deliver(item.key, survivor)
    assert (outcome.kind, outcome.number) == ("duplicate", "FAKE000001")
    assert crashing.submitted_keys + survivor.submitted_keys == [item.key, item.key]
    assert len(survivor.stored) == 1


async def test_rejected_is_recorded_and_never_resent(outbox_target: OutboxTarget) -> None:
    """A rejection marks the row rejected with the (masked) message; another deliver sends nothing."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    fake = FakeBackendClient().script_submit(SubmitOutcome("rejected", message="身份证号 11010519491231002X 无效"))
    assert (await outbox.deliver(item.key, fake)).kind == "rejected"
    again = await outbox.deliver(item.key, fake)
    record = outbox.get(item.key)
    assert record is not None and record.status == REJECTED
    assert record.message == again.message == "身份证号 110105********002X 无效"
    assert len(fake.calls) == 1


async def test_a_crashing_client_releases_the_claim(outbox_target: OutboxTarget) -> None:
    """An exception inside the client is unavailable; the row can be delivered again at once."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    fake = FakeBackendClient().script_submit(RuntimeError("bug"))
    outcome = await outbox.deliver(item.key, fake)
    assert outcome.kind == "unavailable" and "RuntimeError" in (outcome.message or "")
    assert (await outbox.deliver(item.key, fake)).kind == "submitted"


async def test_unknown_key_raises(outbox_target: OutboxTarget) -> None:
    """Delivering a key that was never stored is a KeyError, not a silent success."""
    with pytest.raises(KeyError):
        await outbox_target.open().deliver("0" * 32, FakeBackendClient())


async def test_purge_keeps_only_the_bookkeeping(outbox_target: OutboxTarget) -> None:
    """After delivery the personal data goes; key, reference, number and status stay. Pending rows refuse."""
    outbox = outbox_target.open()
    pending_item = outbox.put(APPLICATION)
    item = outbox.put(APPLICATION)
    assert outbox.purge_personal_data(pending_item.key) is False
    assert outbox.get(pending_item.key).application == APPLICATION  # type: ignore[union-attr]
    await outbox.deliver(item.key, FakeBackendClient())
    assert outbox.purge_personal_data(item.key) is True
    record = outbox.get(item.key)
    assert record is not None
    assert (record.key, record.reference, record.number, record.status) == (item.key, item.reference, "FAKE000001", DELIVERED)
    assert record.application is None and record.last_error is None and record.message is None


async def test_pending_due_only_respects_grace_and_backoff(outbox_target: OutboxTarget, clock: Clock) -> None:
    """A fresh row waits out the grace period (the action delivers it itself); a failed one waits its backoff."""
    outbox = outbox_target.open(clock=clock, first_try_grace_s=15)
    item = outbox.put(APPLICATION)
    assert outbox.pending(due_only=True) == [] and len(outbox.pending()) == 1
    clock.advance(16)
    assert [r.key for r in outbox.pending(due_only=True)] == [item.key]
    await outbox.deliver(item.key, FakeBackendClient().script_submit("unavailable"))
    assert outbox.pending(due_only=True) == []
    clock.advance(retry_delay_s(1) + 1)
    assert [r.key for r in outbox.pending(due_only=True)] == [item.key]


def test_pending_is_oldest_first_and_limited(outbox_target: OutboxTarget, clock: Clock) -> None:
    """pending(limit) returns the oldest rows first."""
    outbox = outbox_target.open(clock=clock)
    keys = []
    for i in range(5):
        keys.append(outbox.put({**APPLICATION, "n": i}).key)
        clock.advance(1)
    assert [r.key for r in outbox.pending(limit=3)] == keys[:3]
    assert outbox.counts() == {PENDING: 5}


def test_concurrent_delivery_of_one_row_sends_it_once(outbox_target: OutboxTarget) -> None:
    """Eight threads, each with its own Outbox on the same storage, race for one row: one send."""
    item = outbox_target.open().put(APPLICATION)
    fake = SlowFake()
    barrier = threading.Barrier(8)
    results: List[Any] = []

    def race() -> None:
        """Wait for everyone, then try to deliver."""
        outbox = outbox_target.open()
        barrier.wait()
        results.append(asyncio.run(outbox.try_deliver(item.key, fake)))
        outbox.dispose()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert fake.submitted_keys == [item.key]
    assert sum(r.sent for r in results) == 1 and len(results) == 8


def _worker_process(url: str, table: str, backend_url: str, go: Any, out: Any) -> None:
    """Child process: wait for the start signal, deliver every due row, report how many it sent."""
    outbox = Outbox(url, table_name=table, lease_s=60)
    client = HttpBackendClient(backend_url, "t", connect_timeout_s=2, read_timeout_s=5,
                               policy=RetryPolicy(max_attempts=2, max_total_s=10))
    go.wait(30)
    out.put(asyncio.run(deliver_pending(outbox, client, limit=100)))


def test_two_worker_processes_send_each_row_once(outbox_target: OutboxTarget, backend: ScriptedBackend) -> None:
    """Two worker processes on the same outbox deliver 12 rows: the backend sees each key exactly once."""
    outbox = outbox_target.open()
    keys = {outbox.put({**APPLICATION, "n": i}).key for i in range(12)}
    backend.per_request_delay_s = 0.05
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker_process, args=(outbox_target.url, outbox_target.table, backend.url, go, out))
             for _ in range(2)]
    for p in procs:
        p.start()
    time.sleep(0.5)
    go.set()
    counts = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    posted = [p.headers["idempotency-key"] for p in backend.posts()]
    assert sorted(posted) == sorted(keys)
    assert sum(counts) == 12
    assert outbox.counts() == {DELIVERED: 12}


def _deliver_and_hang(url: str, table: str, backend_url: str, key: str) -> None:
    """Child process: deliver one row to a backend that never answers in time (the parent kills us)."""
    outbox = Outbox(url, table_name=table, lease_s=2)
    client = HttpBackendClient(backend_url, "t", connect_timeout_s=2, read_timeout_s=60,
                               policy=RetryPolicy(max_attempts=1, max_total_s=60))
    asyncio.run(outbox.deliver(key, client))


async def test_kill_9_mid_delivery_loses_nothing(outbox_target: OutboxTarget, backend: ScriptedBackend) -> None:
    """SIGKILL while the request is in flight: the row survives and the re-send is deduplicated by its key."""
    outbox = outbox_target.open(lease_s=2)
    item = outbox.put(APPLICATION)
    backend.then(Step(201, {"number": "SD-never-seen"}, delay_s=30))
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_deliver_and_hang, args=(outbox_target.url, outbox_target.table, backend.url, item.key))
    proc.start()
    deadline = time.monotonic() + 30
    while not backend.posts() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backend.posts(), "the child never reached the backend"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=10)
    assert proc.exitcode == -signal.SIGKILL
    # The backend had stored it before the answer got lost.
    backend.stored[item.key] = {"body": backend.posts()[0].body,
                                "answer": {"number": "SD000042", "status": "received", "created_at": "x"}}
    record = outbox.get(item.key)
    assert record is not None and record.status == PENDING and record.application == APPLICATION
    time.sleep(2.1)  # the dead process's lease runs out
    outcome = await outbox.deliver(item.key, http_client(backend.url))
    assert (outcome.kind, outcome.number) == ("duplicate", "SD000042")
    assert [p.headers["idempotency-key"] for p in backend.posts()] == [item.key, item.key]


def test_serialisation_is_canonical() -> None:
    """The stored text does not depend on key order, so every re-send carries the same body."""
    assert serialize_application({"b": 1, "a": "张"}) == serialize_application({"a": "张", "b": 1}) == '{"a": "张", "b": 1}'


def test_nothing_is_created_before_first_use(tmp_path: Any) -> None:
    """Constructing an Outbox opens no database and creates no file."""
    path = tmp_path / "sub" / "outbox.sqlite"
    outbox = Outbox(f"sqlite:///{path}")
    assert not path.exists() and not path.parent.exists()
    outbox.put(APPLICATION)
    assert path.exists()


def test_default_url_comes_from_settings(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a URL the outbox uses OUTBOX_URL from the settings."""
    path = tmp_path / "from_env.sqlite"
    monkeypatch.setenv("OUTBOX_URL", f"sqlite:///{path}")
    Outbox().put(APPLICATION)
    assert path.exists()


def test_put_with_the_same_key_returns_the_stored_row(tmp_path) -> None:
    """A caller-chosen key makes put idempotent: one row, the same reference."""
    from actions.services.outbox import Outbox

    box = Outbox(f"sqlite:///{tmp_path / 'o.sqlite'}")
    first = box.put({"applicant_name": "张三"}, key="k" * 32)
    second = box.put({"applicant_name": "张三"}, key="k" * 32)
    assert first == second
    assert box.counts().get("pending") == 1
    box.dispose()


# ------------------------------------------------------------------ sealed at rest, swept, dead letters


def _raw_rows(outbox: Outbox) -> List[Dict[str, Any]]:
    """Every row as the database holds it."""
    from sqlalchemy import select

    with outbox.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(outbox.table))]


def test_the_application_is_sealed_at_rest(outbox_target: OutboxTarget) -> None:
    """No name, ID number or phone in any column of the stored row; reading it back gives the application."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    flat = repr(_raw_rows(outbox))
    for secret in (APPLICATION["name"], APPLICATION["id_number"], APPLICATION["phone"], "002X"):
        assert secret not in flat
    assert outbox.get(item.key).application == APPLICATION  # type: ignore[union-attr]


async def test_a_wrong_key_keeps_the_row_pending_and_whole(outbox_target: OutboxTarget, caplog: pytest.LogCaptureFixture) -> None:
    """Opened with another OUTBOX_KEY the row is neither sent, refused nor purged; the right key delivers it."""
    item = outbox_target.open(secret="right").put(APPLICATION)
    wrong = outbox_target.open(secret="wrong")
    fake = FakeBackendClient()
    outcome = await wrong.deliver(item.key, fake)
    assert outcome.kind == "unavailable" and fake.calls == []
    assert "OUTBOX KEY MISMATCH" in caplog.text
    assert wrong.sweep() == {"purged": 0, "dead": 0, "dead_purged": 0}
    rotated = outbox_target.open(secret="new", previous_secret="right", clock=lambda: time.time() + 3600)
    assert (await rotated.deliver(item.key, fake)).kind == "submitted"
    assert fake.calls[0].args[0] == APPLICATION


def test_a_row_stored_before_sealing_is_still_read(outbox_target: OutboxTarget) -> None:
    """A plaintext payload written by an older version is opened as it is."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    with outbox.engine.begin() as conn:
        conn.execute(outbox.table.update().values(payload=serialize_application(APPLICATION)))
    assert outbox.get(item.key).application == APPLICATION  # type: ignore[union-attr]


async def test_sweep_purges_every_finished_row_and_keeps_a_refusal_reason(outbox_target: OutboxTarget) -> None:
    """Delivered-but-not-purged and rejected rows lose their data; the refusal's masked reason stays."""
    outbox = outbox_target.open()
    delivered, rejected, pending = (outbox.put({**APPLICATION, "n": i}) for i in range(3))
    await outbox.deliver(delivered.key, FakeBackendClient())  # the process "died" before purging
    await outbox.deliver(rejected.key, FakeBackendClient().script_submit(SubmitOutcome("rejected", message="照片不合格")))
    assert outbox.sweep() == {"purged": 2, "dead": 0, "dead_purged": 0}
    rows = {row["key"]: row for row in _raw_rows(outbox)}
    assert rows[delivered.key]["payload"] is None and rows[rejected.key]["payload"] is None
    assert rows[rejected.key]["message"] == "照片不合格"
    assert rows[pending.key]["payload"] is not None
    assert outbox.sweep()["purged"] == 0


def test_sweep_moves_old_pending_rows_to_dead_letters_with_an_alert(outbox_target: OutboxTarget, clock: Clock,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A row pending longer than dead_after becomes dead (logged as an alert); its data goes after the retention."""
    outbox = outbox_target.open(clock=clock)
    item = outbox.put(APPLICATION)
    assert outbox.sweep(dead_after_s=3600, dead_retention_s=86400)["dead"] == 0
    clock.advance(3601)
    assert outbox.sweep(dead_after_s=3600, dead_retention_s=86400)["dead"] == 1
    record = outbox.get(item.key)
    assert record is not None and record.status == DEAD and record.application == APPLICATION
    assert "OUTBOX DEAD LETTER" in caplog.text and APPLICATION["id_number"] not in caplog.text
    assert outbox.pending() == []
    clock.advance(86401)
    assert outbox.sweep(dead_after_s=3600, dead_retention_s=86400)["dead_purged"] == 1
    assert outbox.get(item.key).application is None  # type: ignore[union-attr]


def test_the_id_check_survives_the_purge(outbox_target: OutboxTarget) -> None:
    """The last four still match (and others do not) once the application is gone."""
    outbox = outbox_target.open()
    item = outbox.put(APPLICATION)
    with outbox.engine.begin() as conn:
        conn.execute(outbox.table.update().values(status=REJECTED, payload=None))
    record = outbox.get(item.key)
    assert record is not None and record.application is None
    assert outbox.matches_id(record, "002x") and not outbox.matches_id(record, "1234")


def test_an_older_table_gets_the_new_column(tmp_path: Any) -> None:
    """A table created without id_check is given it on first use; its rows stay readable."""
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE outbox (key VARCHAR(32) PRIMARY KEY, reference VARCHAR(16) NOT NULL UNIQUE, status VARCHAR(16) "
            "NOT NULL, payload TEXT, number VARCHAR(64), message TEXT, attempts INTEGER NOT NULL, last_error TEXT, "
            "created_at FLOAT NOT NULL, updated_at FLOAT NOT NULL, next_attempt_at FLOAT NOT NULL, claimed_until FLOAT, "
            "claim_token VARCHAR(32), delivered_at FLOAT)")
    item = Outbox(url).put(APPLICATION)
    assert Outbox(url).get(item.key).id_check  # type: ignore[union-attr]
