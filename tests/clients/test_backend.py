"""Tests of the backend client against a real local HTTP server: retries, idempotency key, timeouts, outcomes."""
from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, List

import pytest

from clients.backend import (
    MAX_BODY_BYTES,
    AdminOutcome,
    BackendClient,
    HttpBackendClient,
    RetryPolicy,
    StatusOutcome,
    SubmitOutcome,
    admin_outcome_from_response,
    backoff_delay,
    parse_retry_after,
    status_outcome_from_response,
    submit_outcome_from_response,
)
from reissue.masking import scrub
from tests.fakes.scripted_backend import ScriptedBackend, Step

ID = "11010519491231002X"  # synthetic, valid check digit
PHONE = "13800138000"
APPLICATION = {"name": "张三·买买提", "id_number": ID, "phone": PHONE, "qualification": "一级建造师", "year": 2015}
KEY = "0123456789abcdef0123456789abcdef"


class Sleeps:
    """Records requested pauses without pausing."""

    def __init__(self) -> None:
        """No pauses yet."""
        self.calls: List[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record one pause."""
        self.calls.append(seconds)


def make_client(url: str, sleeps: Any = None, **policy: Any) -> HttpBackendClient:
    """A client with short timeouts and a recorded (instant) sleep."""
    timeout = policy.pop("timeout", 2.0)
    return HttpBackendClient(
        url, "test-token", connect_timeout_s=timeout, read_timeout_s=timeout,
        policy=RetryPolicy(**{"max_attempts": 3, "max_total_s": 10.0, **policy}),
        sleep=sleeps if sleeps is not None else Sleeps(), rng=random.Random(7),
    )


# ------------------------------------------------------------------ submit


async def test_submit_new_application_is_submitted_with_headers_and_exact_body(backend: ScriptedBackend) -> None:
    """201 → submitted with the number; bearer token, key and the whole JSON body reach the backend."""
    outcome = await make_client(backend.url).submit(APPLICATION, KEY)
    assert outcome == SubmitOutcome("submitted", number="SD000001", status="received",
                                    created_at="2026-11-27T10:00:00+08:00")
    [seen] = backend.seen
    assert seen.method == "POST" and seen.path == "/api/v1/applications"
    assert seen.headers["authorization"] == "Bearer test-token"
    assert seen.headers["idempotency-key"] == KEY
    assert seen.headers["content-type"].startswith("application/json")
    assert seen.json() == APPLICATION


async def test_resubmitting_the_same_key_is_a_duplicate_with_the_same_number(backend: ScriptedBackend) -> None:
    """A replay (200) is reported as duplicate, never as a second application."""
    client = make_client(backend.url)
    first = await client.submit(APPLICATION, KEY)
    second = await client.submit(APPLICATION, KEY)
    assert (first.kind, second.kind) == ("submitted", "duplicate")
    assert first.number == second.number
    assert len(backend.stored) == 1


@pytest.mark.parametrize("max_attempts", [1, 2, 3, 5])
async def test_retry_count_is_exactly_the_configured_attempts(backend: ScriptedBackend, max_attempts: int) -> None:
    """A backend failing with 500 forever is asked exactly max_attempts times, with max_attempts-1 pauses."""
    backend.then(*[Step(500, {"error": "boom"}) for _ in range(10)])
    sleeps = Sleeps()
    outcome = await make_client(backend.url, sleeps, max_attempts=max_attempts).submit(APPLICATION, KEY)
    assert outcome.kind == "unavailable"
    assert len(backend.posts()) == max_attempts
    assert len(sleeps.calls) == max_attempts - 1


async def test_every_retry_carries_the_same_idempotency_key_and_body(backend: ScriptedBackend) -> None:
    """500, 503, a dropped connection, then success: four attempts, one key, one body, one stored application."""
    backend.then(Step(500), Step(503), Step(drop=True))
    outcome = await make_client(backend.url, max_attempts=4).submit(APPLICATION, KEY)
    assert outcome.kind == "submitted"
    posts = backend.posts()
    assert len(posts) == 4
    assert {p.headers["idempotency-key"] for p in posts} == {KEY}
    assert len({p.body for p in posts}) == 1
    assert len(backend.stored) == 1


async def test_connection_drops_are_retried(backend: ScriptedBackend) -> None:
    """A transport error (server closes without answering) is retried."""
    backend.then(Step(drop=True), Step(drop=True))
    outcome = await make_client(backend.url).submit(APPLICATION, KEY)
    assert outcome.kind == "submitted"
    assert len(backend.posts()) == 3


async def test_connection_refused_is_unavailable_after_all_attempts(closed_port_url: str) -> None:
    """Nothing listening → unavailable after max_attempts tries, and nothing raises."""
    sleeps = Sleeps()
    outcome = await make_client(closed_port_url, sleeps, max_attempts=3).submit(APPLICATION, KEY)
    assert outcome.kind == "unavailable"
    assert len(sleeps.calls) == 2


@pytest.mark.parametrize("status", [400, 409, 413, 422])
async def test_rejections_are_never_retried(backend: ScriptedBackend, status: int) -> None:
    """A 4xx that says "this application is wrong" is rejected after exactly one request."""
    backend.then(Step(status, {"error": "invalid", "message": "证书编号格式不对", "fields": {"cert_no": "格式不对"}}))
    sleeps = Sleeps()
    outcome = await make_client(backend.url, sleeps).submit(APPLICATION, KEY)
    assert outcome.kind == "rejected"
    assert outcome.message == "证书编号格式不对"
    assert outcome.fields == {"cert_no": "格式不对"}
    assert len(backend.posts()) == 1 and sleeps.calls == []


@pytest.mark.parametrize("status", [401, 403, 404, 405])
async def test_other_client_errors_are_unavailable_and_not_retried(backend: ScriptedBackend, status: int) -> None:
    """Auth or routing problems are configuration faults: one request, unavailable (the outbox keeps it)."""
    backend.then(Step(status, {"error": "nope"}))
    outcome = await make_client(backend.url).submit(APPLICATION, KEY)
    assert outcome.kind == "unavailable"
    assert len(backend.posts()) == 1


async def test_429_honours_retry_after(backend: ScriptedBackend) -> None:
    """429 with Retry-After: 2 → the client pauses at least 2 s (recorded) and then succeeds."""
    backend.then(Step(429, {"error": "slow down"}, headers={"Retry-After": "2"}))
    sleeps = Sleeps()
    outcome = await make_client(backend.url, sleeps, retry_after_cap_s=5.0).submit(APPLICATION, KEY)
    assert outcome.kind == "submitted"
    assert len(sleeps.calls) == 1 and sleeps.calls[0] >= 2.0
    assert len(backend.posts()) == 2


async def test_429_with_retry_after_beyond_the_cap_gives_up_at_once(backend: ScriptedBackend) -> None:
    """A Retry-After longer than the cap is not waited for: unavailable after one request."""
    backend.then(Step(429, headers={"Retry-After": "120"}))
    sleeps = Sleeps()
    outcome = await make_client(backend.url, sleeps, retry_after_cap_s=5.0).submit(APPLICATION, KEY)
    assert outcome.kind == "unavailable"
    assert sleeps.calls == [] and len(backend.posts()) == 1


@pytest.mark.parametrize("raw", [b"<html>oops</html>", b"", b"[1, 2]", b'{"status": "received"}', b'{"number": ""}'])
async def test_2xx_with_garbage_body_is_unavailable_and_not_retried(backend: ScriptedBackend, raw: bytes,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """A success status without a usable number is "unavailable" (logged), never a crash or a fake success."""
    backend.then(Step(201, raw=raw))
    with caplog.at_level(logging.ERROR, logger="clients.backend"):
        outcome = await make_client(backend.url).submit(APPLICATION, KEY)
    assert outcome.kind == "unavailable" and outcome.number is None
    assert len(backend.posts()) == 1
    assert "unusable body" in caplog.text


async def test_slow_server_hits_the_read_timeout_and_is_unavailable(backend: ScriptedBackend) -> None:
    """A server slower than the read timeout → unavailable, within attempts × timeout, not the server's delay."""
    backend.then(*[Step(201, {"number": "X"}, delay_s=3.0) for _ in range(3)])
    started = time.monotonic()
    outcome = await make_client(backend.url, timeout=0.3, max_attempts=2).submit(APPLICATION, KEY)
    elapsed = time.monotonic() - started
    assert outcome.kind == "unavailable"
    assert elapsed < 1.5
    assert len(backend.posts()) == 2


async def test_total_time_cap_stops_retries_early_in_real_time(backend: ScriptedBackend) -> None:
    """max_total_s bounds the whole call even when many attempts are allowed (real sleep, real server)."""
    backend.then(*[Step(201, {"number": "X"}, delay_s=2.0) for _ in range(20)])
    client = HttpBackendClient(
        backend.url, "t", connect_timeout_s=0.4, read_timeout_s=0.4,
        policy=RetryPolicy(max_attempts=20, max_total_s=1.0, backoff_base_s=0.05, backoff_cap_s=0.1),
    )
    started = time.monotonic()
    outcome = await client.submit(APPLICATION, KEY)
    elapsed = time.monotonic() - started
    assert outcome.kind == "unavailable"
    assert elapsed < 1.6
    assert 1 <= len(backend.posts()) < 20


async def test_total_time_cap_with_a_fake_clock(backend: ScriptedBackend) -> None:
    """With pauses of 0.5–1 s and a 3 s budget, far fewer than 50 attempts are made and pauses stay in budget."""
    backend.then(*[Step(503) for _ in range(50)])
    fake_now = [0.0]
    pauses: List[float] = []

    async def sleep(seconds: float) -> None:
        """Advance the fake clock instead of sleeping."""
        pauses.append(seconds)
        fake_now[0] += seconds

    client = HttpBackendClient(
        backend.url, "t", connect_timeout_s=1, read_timeout_s=1, sleep=sleep, clock=lambda: fake_now[0],
        policy=RetryPolicy(max_attempts=50, max_total_s=3.0, backoff_base_s=1.0, backoff_cap_s=1.0),
    )
    outcome = await client.submit(APPLICATION, KEY)
    assert outcome.kind == "unavailable"
    assert sum(pauses) < 3.0
    assert len(backend.posts()) == len(pauses) + 1 <= 7


async def test_log_lines_never_hold_a_full_id_or_phone(backend: ScriptedBackend, caplog: pytest.LogCaptureFixture) -> None:
    """A rejection echoing the ID and phone is logged and returned masked."""
    backend.then(Step(422, {"error": "invalid", "message": f"身份证 {ID} 与手机 {PHONE} 不匹配",
                            "fields": {"id_number": f"{ID} 无效"}}))
    with caplog.at_level(logging.DEBUG):
        outcome = await make_client(backend.url).submit(APPLICATION, KEY)
    assert outcome.kind == "rejected"
    for text in (caplog.text, outcome.message or "", str(outcome.fields)):
        assert ID not in text and PHONE not in text
    assert "110105********002X" in (outcome.message or "")


async def test_submit_requires_a_key(backend: ScriptedBackend) -> None:
    """An empty idempotency key is a programming error, refused before anything is sent."""
    with pytest.raises(ValueError):
        await make_client(backend.url).submit(APPLICATION, "")
    assert backend.seen == []


# ------------------------------------------------------------------ status and photo


async def test_get_status_found(backend: ScriptedBackend) -> None:
    """200 → found with label, timeline and reason; the last 4 travel as the id_last4 query parameter."""
    backend.statuses["SD000009"] = {"_last4": "002X", "number": "SD000009", "status": "in_review",
                                    "status_label": "审核中", "timeline": [{"status": "received"}], "reason": None}
    outcome = await make_client(backend.url).get_status("SD000009", "002x")
    assert outcome == StatusOutcome("found", number="SD000009", status="in_review", status_label="审核中",
                                    timeline=[{"status": "received"}], reason=None)
    assert backend.seen[0].query == {"id_last4": ["002X"]}
    assert backend.seen[0].headers["authorization"] == "Bearer test-token"


async def test_get_status_wrong_pair_is_not_found(backend: ScriptedBackend) -> None:
    """404 → not_found; the client reveals nothing more."""
    backend.statuses["SD000009"] = {"_last4": "002X", "number": "SD000009", "status": "in_review", "timeline": []}
    assert (await make_client(backend.url).get_status("SD000009", "1234")).kind == "not_found"
    assert (await make_client(backend.url).get_status("NOPE", "002X")).kind == "not_found"


async def test_get_status_retries_5xx_then_finds(backend: ScriptedBackend) -> None:
    """A 502 is retried for queries too."""
    backend.statuses["A1"] = {"_last4": "1234", "number": "A1", "status": "received", "timeline": []}
    backend.then(Step(502))
    assert (await make_client(backend.url).get_status("A1", "1234")).kind == "found"
    assert len(backend.seen) == 2


async def test_get_status_locked_after_too_many_guesses(backend: ScriptedBackend) -> None:
    """429 with a Retry-After of an hour → locked at once (no waiting, no retry): the bot says so politely."""
    backend.then(Step(429, {"error": "too_many_attempts"}, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()
    assert (await make_client(backend.url, sleeps).get_status("BF2026112700001", "1234")).kind == "locked"
    assert sleeps.calls == [] and len(backend.seen) == 1


@pytest.mark.parametrize("raw", [b"not json", b'{"number": "A1"}', b'{"number": "A1", "status": "x", "timeline": 5}'])
async def test_get_status_garbage_is_unavailable(backend: ScriptedBackend, raw: bytes) -> None:
    """A 200 without the expected fields → unavailable."""
    backend.then(Step(200, raw=raw))
    assert (await make_client(backend.url).get_status("A1", "1234")).kind == "unavailable"


async def test_get_status_number_is_url_quoted(backend: ScriptedBackend) -> None:
    """A number with a slash cannot walk to another path."""
    await make_client(backend.url).get_status("../photos/x", "1234")
    assert backend.seen[0].path == "/api/v1/applications/..%2Fphotos%2Fx"


async def test_get_status_empty_input_sends_nothing(backend: ScriptedBackend) -> None:
    """Blank number or last-4 → not_found without a request."""
    assert (await make_client(backend.url).get_status(" ", "1234")).kind == "not_found"
    assert backend.seen == []


async def test_fetch_photo(backend: ScriptedBackend) -> None:
    """200 → the bytes; 404 → None; a dead backend → None after retries."""
    backend.photos["p1"] = b"\xff\xd8\xff\xe0JPEGDATA"
    client = make_client(backend.url)
    assert await client.fetch_photo("p1") == b"\xff\xd8\xff\xe0JPEGDATA"
    assert await client.fetch_photo("p2") is None
    backend.then(Step(500), Step(500), Step(500))
    assert await client.fetch_photo("p1") is None
    assert len(backend.seen) == 5


async def test_record_unanswered_is_one_short_attempt(backend: ScriptedBackend) -> None:
    """201 → True with the body posted as sent; a 503 → False after a single attempt (no retries)."""
    client = make_client(backend.url)
    question = {"text": "能邮寄到家吗", "kind": "abstain", "channel": "web", "guesses": []}
    backend.then(Step(201, {"id": 1, "created_at": "2026-12-01T10:00:00+08:00"}), Step(503))
    assert await client.record_unanswered(question) is True
    assert backend.seen[0].path == "/api/v1/unanswered" and backend.seen[0].json() == question
    assert await client.record_unanswered(question) is False
    assert len(backend.seen) == 2


def test_client_satisfies_the_interface() -> None:
    """HttpBackendClient is a BackendClient."""
    assert isinstance(HttpBackendClient("http://127.0.0.1:1", "t", connect_timeout_s=1, read_timeout_s=1,
                                        policy=RetryPolicy()), BackendClient)


def test_defaults_come_from_settings_and_stay_under_the_rasa_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """URL, token, timeouts and caps are read from the environment at construction; defaults fit in 60 s."""
    for name in ("REISSUE_BACKEND_URL", "REISSUE_BACKEND_TOKEN", "REISSUE_BACKEND_TIMEOUT",
                 "REISSUE_BACKEND_MAX_ATTEMPTS", "REISSUE_BACKEND_MAX_TOTAL"):
        monkeypatch.delenv(name, raising=False)
    default = HttpBackendClient()
    assert default.timeouts == (5.0, 5.0)
    assert default.policy.max_total_s < 60 and default.policy.max_attempts * default.timeouts[1] < 60
    monkeypatch.setenv("REISSUE_BACKEND_URL", "http://backend.test:9000/")
    monkeypatch.setenv("REISSUE_BACKEND_TOKEN", "s3cret")
    monkeypatch.setenv("REISSUE_BACKEND_TIMEOUT", "2.5")
    monkeypatch.setenv("REISSUE_BACKEND_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("REISSUE_BACKEND_MAX_TOTAL", "12")
    client = HttpBackendClient()
    assert client.base_url == "http://backend.test:9000"
    assert client.timeouts == (2.5, 2.5)
    assert (client.policy.max_attempts, client.policy.max_total_s) == (4, 12.0)


# ------------------------------------------------------------------ pure helpers


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8])
def test_backoff_grows_with_jitter_and_is_capped(attempt: int) -> None:
    """The pause lies in [ceiling/2, ceiling] with ceiling = min(cap, base·2^(n-1))."""
    rng = random.Random(attempt)
    ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
    values = {backoff_delay(attempt, 0.5, 4.0, rng) for _ in range(50)}
    assert all(ceiling / 2 <= v <= ceiling for v in values)
    assert len(values) > 1  # jittered


@pytest.mark.parametrize("value,expected", [("3", 3.0), ("0", 0.0), ("-5", 0.0), ("", None), (None, None),
                                            ("soon", None), ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0)])
def test_parse_retry_after(value: Any, expected: Any) -> None:
    """Delta-seconds and HTTP dates are understood; anything else is None."""
    now = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize("text,hidden,shown", [
    (f"ID {ID}", ID, "110105********002X"),
    ("tel 13912345678.", "13912345678", "139****5678"),
    ("电话+86 139-1234-5678", "1234", "5678"),
    ("old id 110105491231002", "110105491231002", "110105*****1002"),
])
def test_scrub_masks_ids_and_phones(text: str, hidden: str, shown: str) -> None:
    """Full IDs and phones never survive scrub; the visible ends do."""
    out = scrub(text)
    assert hidden not in out and shown in out


@pytest.mark.parametrize("status,body,kind", [
    (201, b'{"number": "N1"}', "submitted"),
    (200, b'{"number": "N1"}', "duplicate"),
    (202, b'{"number": "N1"}', "unavailable"),
    (422, b"not json", "rejected"),
    (409, b"", "rejected"),
    (401, b"{}", "unavailable"),
    (302, b"", "unavailable"),
])
def test_submit_outcome_mapping(status: int, body: bytes, kind: str) -> None:
    """Final HTTP answers map onto the four domain kinds."""
    assert submit_outcome_from_response(status, body).kind == kind


def test_outcome_kinds_are_checked() -> None:
    """A misspelt kind is refused at once."""
    with pytest.raises(ValueError):
        SubmitOutcome("sent")
    with pytest.raises(ValueError):
        StatusOutcome("ok")


def test_status_mapping_accepts_review_reason_and_keeps_other_fields() -> None:
    """The backend's review_reason becomes reason; its other (masked) fields are kept in details."""
    body = ('{"number": "BF1", "status": "审核不通过", "status_label": "审核未通过", "timeline": [],'
            ' "review_reason": "照片不合格", "city": "济南市"}').encode()
    outcome = status_outcome_from_response(200, body)
    assert (outcome.kind, outcome.reason, dict(outcome.details)) == ("found", "照片不合格", {"city": "济南市"})


# ------------------------------------------------------------------ staff view, the event loop, the body cap


@pytest.mark.parametrize("step,kind", [
    (Step(200, {"number": "BF1", "status": "已提交"}), "found"),
    (Step(401, {"error": "unauthorized"}), "forbidden"),
    (Step(403, {"error": "forbidden"}), "forbidden"),
    (Step(404, {"error": "not_found"}), "not_found"),
    (Step(200, raw=b"<html>"), "unreadable"),
    (Step(418), "unavailable"),
])
async def test_admin_record_outcomes_and_the_staff_token(backend: ScriptedBackend, step: Step, kind: str) -> None:
    """The staff view is asked with the staff member's token on the admin path; answers map onto the kinds."""
    backend.then(step)
    outcome = await make_client(backend.url).admin_record("BF2026112700001", "staff-token")
    assert outcome.kind == kind
    [seen] = backend.seen
    assert seen.path == "/api/v1/applications/BF2026112700001/admin"
    assert seen.headers["authorization"] == "Bearer staff-token"
    if kind == "found":
        assert outcome.record == {"number": "BF1", "status": "已提交"}


async def test_admin_record_backend_down_is_unavailable(closed_port_url: str) -> None:
    """Nothing listening → unavailable, no exception."""
    assert (await make_client(closed_port_url).admin_record("BF1", "t")) == AdminOutcome("unavailable")


def test_admin_mapping_is_pure() -> None:
    """A JSON object is the record; anything else on 200 is unreadable."""
    assert admin_outcome_from_response(200, b'{"a": 1}').record == {"a": 1}
    assert admin_outcome_from_response(200, b"[1]").kind == "unreadable"
    assert admin_outcome_from_response(503, b"").kind == "unavailable"


async def test_a_slow_backend_never_blocks_the_event_loop(backend: ScriptedBackend) -> None:
    """While a photo fetch waits 0.6 s for the backend, other coroutines on the loop keep running."""
    backend.photos["p1"] = b"\xff\xd8JPEG"
    backend.then(Step(200, raw=b"\xff\xd8JPEG", delay_s=0.6))
    ticks: List[float] = []

    async def ticker() -> None:
        """Record the time every 50 ms until cancelled."""
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    photo = await make_client(backend.url).fetch_photo("p1")
    task.cancel()
    assert photo == b"\xff\xd8JPEG" and time.monotonic() - started >= 0.55
    assert len([t for t in ticks if t > started]) >= 8


async def test_a_body_over_the_cap_is_not_read_whole(backend: ScriptedBackend) -> None:
    """A photo answer larger than the body cap counts as a failed attempt, never as a photo."""
    backend.then(*[Step(200, raw=b"x" * (MAX_BODY_BYTES + 1)) for _ in range(3)])
    assert await make_client(backend.url).fetch_photo("big") is None
    assert len(backend.seen) == 3


async def test_the_connection_pool_is_opened_lazily_and_closed(backend: ScriptedBackend) -> None:
    """Building a client opens nothing; aclose() closes what the first call opened."""
    client = make_client(backend.url)
    assert client._http is None
    await client.fetch_photo("none")
    assert client._http is not None
    await client.aclose()
    assert client._http is None
