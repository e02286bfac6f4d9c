"""Contract tests: the real client and outbox against the project's real backend app, served on loopback."""
from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any, Dict, Iterator

import pytest

from actions.services.outbox import DELIVERED, Outbox
from actions.services.worker import deliver_pending
from clients.backend import HttpBackendClient, RetryPolicy

TOKEN = "contract-bot-token"
STAFF_TOKEN = "contract-staff-token"
APPLICATION: Dict[str, Any] = {
    "reason": "lost", "qualification": "一级建造师", "level": None, "specialty": "建筑工程", "obtained": "2015-05",
    "applicant_name": "张三", "id_number": "11010519491231002X", "cert_number": None, "city": "济南市",
    "phone": "13800138000", "photo_ref": None, "channel": "web", "sender_ref": "contract-test",
}


@pytest.fixture(scope="module")
def backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real backend (backend.app.create_app) on a free loopback port with a throwaway SQLite database."""
    import uvicorn

    from backend.app import create_app
    from reissue.settings import get_settings

    tmp = tmp_path_factory.mktemp("backend")
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", f"sqlite:///{tmp / 'backend.sqlite'}")
    patch.setenv("REISSUE_VAR_DIR", str(tmp))
    patch.setenv("UPLOAD_DIR", str(tmp / "uploads"))
    patch.setenv("REISSUE_BACKEND_TOKEN", TOKEN)
    patch.setenv("BACKEND_STAFF_TOKEN", STAFF_TOKEN)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(get_settings()), host="127.0.0.1", port=port,
                                          log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the backend did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        patch.undo()


def client(url: str, token: str = TOKEN) -> HttpBackendClient:
    """A real client with short caps."""
    return HttpBackendClient(url, token, connect_timeout_s=2, read_timeout_s=5,
                             policy=RetryPolicy(max_attempts=2, max_total_s=10))


async def test_submit_replay_conflict_and_status(backend_url: str) -> None:
    """New → submitted (BF number); same key → duplicate with that number; same key, other body → rejected."""
    key = uuid.uuid4().hex
    first = await client(backend_url).submit(APPLICATION, key)
    assert first.kind == "submitted" and first.number is not None and first.number.startswith("BF")
    again = await client(backend_url).submit(APPLICATION, key)
    assert (again.kind, again.number) == ("duplicate", first.number)
    conflict = await client(backend_url).submit({**APPLICATION, "city": "青岛市"}, key)
    assert conflict.kind == "rejected"
    found = await client(backend_url).get_status(first.number, "002x")
    assert found.kind == "found" and found.number == first.number and found.timeline
    assert (await client(backend_url).get_status(first.number, "1234")).kind == "not_found"


async def test_invalid_application_is_rejected_with_field_messages(backend_url: str) -> None:
    """A 422 comes back as rejected, with a Chinese message per field."""
    outcome = await client(backend_url).submit({**APPLICATION, "id_number": "123"}, uuid.uuid4().hex)
    assert outcome.kind == "rejected"
    assert "id_number" in outcome.fields and outcome.message


async def test_wrong_token_is_unavailable_not_rejected(backend_url: str) -> None:
    """An auth failure is a configuration fault: the outbox must keep the application (unavailable)."""
    assert (await client(backend_url, token="wrong").submit(APPLICATION, uuid.uuid4().hex)).kind == "unavailable"


async def test_unknown_photo_is_none(backend_url: str) -> None:
    """A photo reference the backend does not hold → None."""
    assert await client(backend_url).fetch_photo("PH" + "0" * 24) is None


async def test_unanswered_question_reaches_the_real_backend(backend_url: str) -> None:
    """The client's record body is one the real backend accepts; a bad one is refused (False)."""
    assert await client(backend_url).record_unanswered(
        {"text": "补好的证书能邮寄吗", "kind": "abstain", "channel": "web", "guesses": [{"label": "express", "confidence": 0.3}]}
    ) is True
    assert await client(backend_url).record_unanswered({"text": "", "kind": "abstain", "channel": "web"}) is False


async def test_outbox_worker_delivers_to_the_real_backend_once(backend_url: str, tmp_path: Any) -> None:
    """put → the worker delivers → delivered with the backend's number; a forced re-send is a duplicate."""
    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.sqlite'}", first_try_grace_s=0, lease_s=60)
    item = outbox.put(APPLICATION)
    assert await deliver_pending(outbox, client(backend_url), purge=False) == 1
    record = outbox.get(item.key)
    assert record is not None and record.status == DELIVERED and record.number
    replay = await client(backend_url).submit(record.application or {}, item.key)
    assert (replay.kind, replay.number) == ("duplicate", record.number)


async def test_staff_view_needs_the_staff_token(backend_url: str) -> None:
    """The staff view of a submitted application is found with the staff token, refused with the bot's."""
    submitted = await client(backend_url).submit(APPLICATION, uuid.uuid4().hex)
    assert submitted.number is not None
    found = await client(backend_url).admin_record(submitted.number, STAFF_TOKEN)
    assert found.kind == "found" and found.record["number"] == submitted.number
    assert (await client(backend_url).admin_record(submitted.number, TOKEN)).kind == "forbidden"
    assert (await client(backend_url).admin_record("BF2099010100001", STAFF_TOKEN)).kind == "not_found"
