"""The intake backend's client for every caller (actions, outbox worker, hotline lookup): async, on httpx + tenacity.

One small interface (`BackendClient`), one HTTP adapter (`HttpBackendClient`) and domain outcomes — callers never
see raw HTTP. The retry policy: only transport errors, 5xx and 429 are tried again, with exponential backoff and
jitter, Retry-After honoured up to a cap, attempts and total time capped, one Idempotency-Key for every attempt
of a submission.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Protocol, Tuple, runtime_checkable
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, retry_if_result

from reissue.masking import scrub

logger = logging.getLogger(__name__)

SUBMIT_KINDS = ("submitted", "duplicate", "rejected", "unavailable")
STATUS_KINDS = ("found", "not_found", "locked", "unavailable")
ADMIN_KINDS = ("found", "not_found", "forbidden", "unreadable", "unavailable")

# Status codes worth another attempt: the server may well answer next time.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# 4xx answers to a submission that mean "this application, as sent, will never be accepted".
REJECT_STATUSES = frozenset({400, 409, 413, 422})
MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class SubmitOutcome:
    """What became of one submission, in the bot's terms (never raw HTTP)."""

    kind: str
    number: Optional[str] = None
    status: Optional[str] = None
    created_at: Optional[str] = None
    message: Optional[str] = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a kind outside SUBMIT_KINDS."""
        if self.kind not in SUBMIT_KINDS:
            raise ValueError(f"unknown submit outcome kind: {self.kind!r}")

    @property
    def accepted(self) -> bool:
        """True when the backend holds the application (new or replayed)."""
        return self.kind in ("submitted", "duplicate")


@dataclass(frozen=True)
class StatusOutcome:
    """What the backend said about one application number + ID last-4 pair (details: other, masked fields)."""

    kind: str
    number: Optional[str] = None
    status: Optional[str] = None
    status_label: Optional[str] = None
    timeline: List[Any] = field(default_factory=list)
    reason: Optional[str] = None
    message: Optional[str] = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a kind outside STATUS_KINDS."""
        if self.kind not in STATUS_KINDS:
            raise ValueError(f"unknown status outcome kind: {self.kind!r}")


@dataclass(frozen=True)
class AdminOutcome:
    """The staff view of one application (`record`, as the backend sent it), or why there is none."""

    kind: str
    record: Mapping[str, Any] = field(default_factory=dict)
    http_status: Optional[int] = None

    def __post_init__(self) -> None:
        """Refuse a kind outside ADMIN_KINDS."""
        if self.kind not in ADMIN_KINDS:
            raise ValueError(f"unknown admin outcome kind: {self.kind!r}")


@runtime_checkable
class BackendClient(Protocol):
    """The things the assistant and its staff tools ask of the backend."""

    async def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """Forward one application; the same key must be used for every resend of it."""
        ...

    async def get_status(self, number: str, id_last4: str) -> StatusOutcome:
        """Look up an application's progress by number and the ID number's last four characters."""
        ...

    async def fetch_photo(self, ref: str) -> Optional[bytes]:
        """Return the stored photo's bytes, or None when it is missing or unreachable."""
        ...

    async def record_unanswered(self, question: Dict[str, Any]) -> bool:
        """Store one unanswered question (text already masked) for staff; False when it could not be stored."""
        ...

    async def admin_record(self, number: str, staff_token: str) -> AdminOutcome:
        """The staff view of one application, asked with the staff member's own token."""
        ...


# --------------------------------------------------------------------------- pure helpers

def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter for the pause after failed attempt number `attempt` (1-based)."""
    ceiling = min(cap_s, base_s * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _json_body(body: bytes) -> Optional[Any]:
    """Decode a JSON body, or None when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _nonempty_str(value: Any) -> Optional[str]:
    """Return `value` as a stripped string when it is a non-empty string or int, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def submit_outcome_from_response(status_code: int, body: bytes) -> SubmitOutcome:
    """Turn the final HTTP answer to a submission into a SubmitOutcome (pure)."""
    data = _json_body(body)
    if status_code in (200, 201):
        number = _nonempty_str(data.get("number")) if isinstance(data, dict) else None
        if number is None or not isinstance(data, dict):
            return SubmitOutcome("unavailable", message=f"HTTP {status_code} without a usable body")
        return SubmitOutcome(
            "submitted" if status_code == 201 else "duplicate",
            number=number,
            status=_nonempty_str(data.get("status")),
            created_at=_nonempty_str(data.get("created_at")),
        )
    if status_code in REJECT_STATUSES:
        data = data if isinstance(data, dict) else {}
        fields = data.get("fields")
        message = data.get("message") or data.get("error") or data.get("detail")
        if status_code == 409 and not message:
            message = "idempotency key reused with a different application"
        return SubmitOutcome(
            "rejected",
            message=str(message) if message else f"HTTP {status_code}",
            fields=dict(fields) if isinstance(fields, dict) else {},
        )
    return SubmitOutcome("unavailable", message=f"HTTP {status_code}")


def status_outcome_from_response(status_code: int, body: bytes) -> StatusOutcome:
    """Turn the final HTTP answer to a status query into a StatusOutcome (pure)."""
    if status_code in (404, 400, 422):
        return StatusOutcome("not_found")
    if status_code != 200:
        return StatusOutcome("unavailable", message=f"HTTP {status_code}")
    data = _json_body(body)
    if not isinstance(data, dict):
        return StatusOutcome("unavailable", message="HTTP 200 without a usable body")
    number = _nonempty_str(data.get("number"))
    status = _nonempty_str(data.get("status"))
    timeline = data.get("timeline", [])
    if number is None or status is None or not isinstance(timeline, list):
        return StatusOutcome("unavailable", message="HTTP 200 without a usable body")
    reason = data.get("reason", data.get("review_reason"))
    known = {"number", "status", "status_label", "timeline", "reason", "review_reason"}
    return StatusOutcome(
        "found",
        number=number,
        status=status,
        status_label=_nonempty_str(data.get("status_label")),
        timeline=timeline,
        reason=str(reason) if reason not in (None, "") else None,
        details={k: v for k, v in data.items() if k not in known},
    )


def admin_outcome_from_response(status_code: int, body: bytes) -> AdminOutcome:
    """Turn the final HTTP answer to a staff query into an AdminOutcome (pure)."""
    if status_code in (401, 403):
        return AdminOutcome("forbidden", http_status=status_code)
    if status_code == 404:
        return AdminOutcome("not_found", http_status=status_code)
    if status_code != 200:
        return AdminOutcome("unavailable", http_status=status_code)
    data = _json_body(body)
    if not isinstance(data, dict):
        return AdminOutcome("unreadable", http_status=status_code)
    return AdminOutcome("found", record=data, http_status=status_code)


# --------------------------------------------------------------------------- the HTTP adapter


class GaveUp(Exception):
    """Every allowed attempt failed; the message says why and is safe to log; `status` is the last HTTP status."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        """Keep the message and the last answer's status (None when nothing answered)."""
        super().__init__(message)
        self.status = status


class _BodyTooLarge(Exception):
    """The response body grew past MAX_BODY_BYTES."""


# What counts as "the backend did not answer": worth another attempt.
TRANSPORT_ERRORS = (httpx.TransportError, asyncio.TimeoutError, _BodyTooLarge)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body and headers."""

    status: int
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries: attempts, total budget, backoff and Retry-After cap."""

    max_attempts: int = 3
    max_total_s: float = 20.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 4.0
    retry_after_cap_s: float = 5.0


# Recording an unanswered question is a side matter: one attempt of at most two seconds.
RECORD_POLICY = RetryPolicy(max_attempts=1, max_total_s=2.0)


def _failure(state: RetryCallState) -> str:
    """What went wrong in the attempt `state` just made (HTTP status or the transport error's class)."""
    outcome = state.outcome
    if outcome is None:
        return "no attempt made"
    if outcome.failed:
        error = outcome.exception()
        return str(error) if isinstance(error, _BodyTooLarge) else type(error).__name__
    return f"HTTP {outcome.result().status}"


class _Budget:
    """The wait and stop rules of one logical call, on the client's clock and random source."""

    def __init__(self, policy: RetryPolicy, label: str, clock: Callable[[], float], rng: random.Random) -> None:
        """Start the call's time budget now."""
        self.policy, self.label, self.clock, self.rng = policy, label, clock, rng
        self.deadline = clock() + policy.max_total_s
        self.note = ""

    def remaining(self) -> float:
        """Seconds left of the call's total budget."""
        return self.deadline - self.clock()

    def wait(self, state: RetryCallState) -> float:
        """The pause before the next attempt: jittered backoff, at least the server's Retry-After."""
        delay = backoff_delay(state.attempt_number, self.policy.backoff_base_s, self.policy.backoff_cap_s, self.rng)
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            retry_after = parse_retry_after(outcome.result().headers.get("Retry-After"))
            if retry_after is not None:
                if retry_after > self.policy.retry_after_cap_s:
                    self.note = f" (Retry-After {retry_after:.0f}s exceeds the cap)"
                    return float("inf")
                delay = max(delay, retry_after)
        return delay

    def stop(self, state: RetryCallState) -> bool:
        """Stop after the last allowed attempt, or when the pause would reach past the total budget."""
        if state.attempt_number >= self.policy.max_attempts or self.note:
            return True
        if self.clock() + state.upcoming_sleep >= self.deadline:
            self.note = " (total time cap reached)"
            return True
        return False

    def after(self, state: RetryCallState) -> None:
        """Log one failed attempt."""
        logger.warning("backend call failed: %s attempt %d: %s", self.label, state.attempt_number, _failure(state))

    def give_up(self, state: RetryCallState) -> Answer:
        """Raise GaveUp with the reason and HTTP status of the last attempt."""
        outcome = state.outcome
        status = outcome.result().status if outcome is not None and not outcome.failed else None
        raise GaveUp(f"gave up after {state.attempt_number} attempt(s): {self.label}: {_failure(state)}{self.note}", status)


class HttpBackendClient:
    """BackendClient over HTTP with timeouts, bounded retries and a stable Idempotency-Key."""

    def __init__(
        self,
        base_url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        connect_timeout_s: Optional[float] = None,
        read_timeout_s: Optional[float] = None,
        policy: Optional[RetryPolicy] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Optional[random.Random] = None,
    ) -> None:
        """Build from explicit values, falling back to `get_settings()` for anything not given (nothing opens yet)."""
        if base_url is None or token is None or policy is None or connect_timeout_s is None or read_timeout_s is None:
            from reissue.settings import get_settings

            settings = get_settings()
            base_url = settings.backend_url if base_url is None else base_url
            token = settings.backend_token if token is None else token
            connect_timeout_s = settings.backend_timeout_s if connect_timeout_s is None else connect_timeout_s
            read_timeout_s = settings.backend_timeout_s if read_timeout_s is None else read_timeout_s
            if policy is None:
                policy = RetryPolicy(
                    max_attempts=max(1, settings.backend_max_attempts),
                    max_total_s=max(0.1, settings.backend_max_total_s),
                )
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeouts: Tuple[float, float] = (float(connect_timeout_s), float(read_timeout_s))
        self.policy = policy
        self._transport = transport
        self._http: Optional[httpx.AsyncClient] = None
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    # -- public interface

    async def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """POST the application once per attempt, every attempt with the same Idempotency-Key."""
        if not idempotency_key:
            raise ValueError("an idempotency key is required")
        try:
            answer = await self._call("POST", "/api/v1/applications", json_body=application,
                                      headers={"Idempotency-Key": idempotency_key})
        except GaveUp as exc:
            logger.warning("backend submit unavailable (key %s…): %s", idempotency_key[:8], scrub(exc))
            return SubmitOutcome("unavailable", message=scrub(exc))
        outcome = submit_outcome_from_response(answer.status, answer.body)
        if outcome.kind == "unavailable" and 200 <= answer.status < 300:
            logger.error("backend submit answered HTTP %s with an unusable body (key %s…)", answer.status, idempotency_key[:8])
        elif outcome.kind == "unavailable":
            logger.error("backend refused the submission with HTTP %s (check REISSUE_BACKEND_URL/TOKEN; key %s…)",
                         answer.status, idempotency_key[:8])
        elif outcome.kind == "rejected":
            logger.warning(
                "backend rejected application (key %s…, HTTP %s): %s fields=%s",
                idempotency_key[:8], answer.status, scrub(outcome.message), sorted(outcome.fields),
            )
        else:
            logger.info("backend %s application %s (key %s…)", outcome.kind, outcome.number, idempotency_key[:8])
        # Never hand personal data back in messages either.
        return SubmitOutcome(
            outcome.kind, number=outcome.number, status=outcome.status, created_at=outcome.created_at,
            message=scrub(outcome.message) if outcome.message else None,
            fields={str(k): scrub(v) for k, v in outcome.fields.items()},
        )

    async def get_status(self, number: str, id_last4: str) -> StatusOutcome:
        """GET the application's progress; a wrong number/last-4 pair is simply not_found."""
        number = (number or "").strip()
        id_last4 = (id_last4 or "").strip().upper()
        if not number or not id_last4:
            return StatusOutcome("not_found")
        try:
            answer = await self._call("GET", f"/api/v1/applications/{quote(number, safe='')}", params={"id_last4": id_last4})
        except GaveUp as exc:
            if exc.status == 429:  # too many wrong guesses for this number: locked for a while
                logger.warning("backend status query refused: too many attempts for this application number")
                return StatusOutcome("locked", message=scrub(exc))
            logger.warning("backend status query unavailable: %s", scrub(exc))
            return StatusOutcome("unavailable", message=scrub(exc))
        outcome = status_outcome_from_response(answer.status, answer.body)
        if outcome.kind == "unavailable":
            logger.error("backend status query answered HTTP %s%s", answer.status,
                         " with an unusable body" if answer.status == 200 else "")
        return outcome

    async def fetch_photo(self, ref: str) -> Optional[bytes]:
        """GET the photo bytes; None when it is missing, empty or the backend is unreachable."""
        ref = (ref or "").strip()
        if not ref:
            return None
        try:
            answer = await self._call("GET", f"/api/v1/photos/{quote(ref, safe='')}")
        except GaveUp as exc:
            logger.warning("backend photo fetch unavailable: %s", scrub(exc))
            return None
        if answer.status == 200 and answer.body:
            return answer.body
        if answer.status != 404:
            logger.warning("backend photo fetch answered HTTP %s", answer.status)
        return None

    async def record_unanswered(self, question: Dict[str, Any]) -> bool:
        """POST one unanswered question, in a single short attempt (the applicant is waiting for the reply)."""
        try:
            answer = await self._call("POST", "/api/v1/unanswered", json_body=question, policy=RECORD_POLICY)
        except GaveUp as exc:
            logger.warning("backend unanswered record unavailable: %s", scrub(exc))
            return False
        if answer.status != 201:
            logger.warning("backend refused an unanswered record with HTTP %s", answer.status)
        return answer.status == 201

    async def admin_record(self, number: str, staff_token: str) -> AdminOutcome:
        """GET the staff view of an application with the staff member's token (never the service token)."""
        try:
            answer = await self._call("GET", f"/api/v1/applications/{quote(number, safe='')}/admin",
                                      token=staff_token)
        except GaveUp as exc:
            logger.warning("backend staff query unavailable: %s", scrub(exc))
            return AdminOutcome("unavailable", http_status=exc.status)
        return admin_outcome_from_response(answer.status, answer.body)

    async def aclose(self) -> None:
        """Close the connection pool, if one was opened."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- internals

    def _client(self) -> httpx.AsyncClient:
        """Open the connection pool lazily, on the running event loop (nothing is opened at construction)."""
        if self._http is None:
            self._http = httpx.AsyncClient(
                transport=self._transport,
                trust_env=False,  # the backend is an internal service: no proxies from the environment
                follow_redirects=False,
            )
        return self._http

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Optional[Any] = None,
        headers: Optional[Mapping[str, str]] = None,
        params: Optional[Mapping[str, str]] = None,
        policy: Optional[RetryPolicy] = None,
        token: Optional[str] = None,
    ) -> Answer:
        """Send one logical request with retries; return the final answer or raise GaveUp."""
        budget = _Budget(policy or self.policy, f"{method} {path}", self._clock, self._rng)
        all_headers = {"Authorization": f"Bearer {self._token if token is None else token}", "Accept": "application/json"}
        all_headers.update(headers or {})
        content = None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, sort_keys=True).encode("utf-8")
            all_headers["Content-Type"] = "application/json; charset=utf-8"
        request = self._client().build_request(method, self.base_url + path, headers=all_headers, content=content,
                                               params=params)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TRANSPORT_ERRORS) | retry_if_result(lambda answer: answer.status in RETRY_STATUSES),
            wait=budget.wait, stop=budget.stop, after=budget.after, retry_error_callback=budget.give_up,
            sleep=self._sleep,
        )
        answer: Answer = await retrying(self._send_once, request, budget)
        if answer.status not in RETRY_STATUSES and retrying.statistics.get("attempt_number", 1) > 1:
            logger.info("%s %s answered HTTP %s on attempt %d", method, path, answer.status,
                        retrying.statistics["attempt_number"])
        return answer

    async def _send_once(self, request: httpx.Request, budget: _Budget) -> Answer:
        """One HTTP exchange within the remaining budget, timeouts clipped to it, the body size capped."""
        remaining = budget.remaining()
        if remaining <= 0:
            raise asyncio.TimeoutError("total time cap reached")
        connect_t = max(0.05, min(self.timeouts[0], remaining))
        read_t = max(0.05, min(self.timeouts[1], remaining))
        request.extensions["timeout"] = httpx.Timeout(read_t, connect=connect_t).as_dict()
        return await asyncio.wait_for(self._exchange(request), max(0.05, remaining))

    async def _exchange(self, request: httpx.Request) -> Answer:
        """Send the request and read the whole body, refusing one over MAX_BODY_BYTES."""
        response = await self._client().send(request, stream=True)
        try:
            chunks: List[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _BodyTooLarge("response body too large")
            return Answer(response.status_code, b"".join(chunks), response.headers)
        finally:
            await response.aclose()
