"""Client for the intake backend: one small interface, a requests-based adapter, domain outcomes."""
from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Tuple, runtime_checkable
from urllib.parse import quote

import requests

from reissue.masking import scrub

logger = logging.getLogger(__name__)

SUBMIT_KINDS = ("submitted", "duplicate", "rejected", "unavailable")
STATUS_KINDS = ("found", "not_found", "unavailable")

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


@runtime_checkable
class BackendClient(Protocol):
    """The things the bot asks of the backend."""

    def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """Forward one application; the same key must be used for every resend of it."""
        ...

    def get_status(self, number: str, id_last4: str) -> StatusOutcome:
        """Look up an application's progress by number and the ID number's last four characters."""
        ...

    def fetch_photo(self, ref: str) -> Optional[bytes]:
        """Return the stored photo's bytes, or None when it is missing or unreachable."""
        ...

    def record_unanswered(self, question: Dict[str, Any]) -> bool:
        """Store one unanswered question (text already masked) for staff; False when it could not be stored."""
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
        if number is None:
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


# --------------------------------------------------------------------------- the HTTP adapter


class _GaveUp(Exception):
    """Raised inside the client when every allowed attempt failed; carries a loggable reason."""


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
        session: Optional[requests.Session] = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Optional[random.Random] = None,
    ) -> None:
        """Build from explicit values, falling back to `get_settings()` for anything not given."""
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
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    # -- public interface

    def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """POST the application once per attempt, every attempt with the same Idempotency-Key."""
        if not idempotency_key:
            raise ValueError("an idempotency key is required")
        try:
            status_code, body, _ = self._call(
                "POST",
                "/api/v1/applications",
                json_body=application,
                headers={"Idempotency-Key": idempotency_key},
            )
        except _GaveUp as exc:
            logger.warning("backend submit unavailable (key %s…): %s", idempotency_key[:8], scrub(exc))
            return SubmitOutcome("unavailable", message=scrub(exc))
        outcome = submit_outcome_from_response(status_code, body)
        if outcome.kind == "unavailable" and 200 <= status_code < 300:
            logger.error("backend submit answered HTTP %s with an unusable body (key %s…)", status_code, idempotency_key[:8])
        elif outcome.kind == "unavailable":
            logger.error("backend refused the submission with HTTP %s (check REISSUE_BACKEND_URL/TOKEN; key %s…)",
                         status_code, idempotency_key[:8])
        elif outcome.kind == "rejected":
            logger.warning(
                "backend rejected application (key %s…, HTTP %s): %s fields=%s",
                idempotency_key[:8], status_code, scrub(outcome.message), sorted(outcome.fields),
            )
        else:
            logger.info("backend %s application %s (key %s…)", outcome.kind, outcome.number, idempotency_key[:8])
        # Never hand personal data back in messages either.
        return SubmitOutcome(
            outcome.kind, number=outcome.number, status=outcome.status, created_at=outcome.created_at,
            message=scrub(outcome.message) if outcome.message else None,
            fields={str(k): scrub(v) for k, v in outcome.fields.items()},
        )

    def get_status(self, number: str, id_last4: str) -> StatusOutcome:
        """GET the application's progress; a wrong number/last-4 pair is simply not_found."""
        number = (number or "").strip()
        id_last4 = (id_last4 or "").strip().upper()
        if not number or not id_last4:
            return StatusOutcome("not_found")
        try:
            status_code, body, _ = self._call(
                "GET", f"/api/v1/applications/{quote(number, safe='')}", params={"id_last4": id_last4}
            )
        except _GaveUp as exc:
            logger.warning("backend status query unavailable: %s", scrub(exc))
            return StatusOutcome("unavailable", message=scrub(exc))
        outcome = status_outcome_from_response(status_code, body)
        if outcome.kind == "unavailable":
            logger.error("backend status query answered HTTP %s%s", status_code,
                         " with an unusable body" if status_code == 200 else "")
        return outcome

    def fetch_photo(self, ref: str) -> Optional[bytes]:
        """GET the photo bytes; None when it is missing, empty or the backend is unreachable."""
        ref = (ref or "").strip()
        if not ref:
            return None
        try:
            status_code, body, _ = self._call("GET", f"/api/v1/photos/{quote(ref, safe='')}")
        except _GaveUp as exc:
            logger.warning("backend photo fetch unavailable: %s", scrub(exc))
            return None
        if status_code == 200 and body:
            return body
        if status_code != 404:
            logger.warning("backend photo fetch answered HTTP %s", status_code)
        return None

    def record_unanswered(self, question: Dict[str, Any]) -> bool:
        """POST one unanswered question, in a single short attempt (the applicant is waiting for the reply)."""
        try:
            status_code, _, _ = self._call("POST", "/api/v1/unanswered", json_body=question, policy=RECORD_POLICY)
        except _GaveUp as exc:
            logger.warning("backend unanswered record unavailable: %s", scrub(exc))
            return False
        if status_code != 201:
            logger.warning("backend refused an unanswered record with HTTP %s", status_code)
        return status_code == 201

    def close(self) -> None:
        """Close the underlying HTTP session, if one was opened."""
        if self._session is not None:
            self._session.close()

    # -- internals

    def _get_session(self) -> requests.Session:
        """Open the HTTP session lazily (nothing is created at construction or import time)."""
        if self._session is None:
            session = requests.Session()
            session.trust_env = False  # the backend is an internal service: no proxies from the environment
            self._session = session
        return self._session

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Optional[Any] = None,
        headers: Optional[Mapping[str, str]] = None,
        params: Optional[Mapping[str, str]] = None,
        policy: Optional[RetryPolicy] = None,
    ) -> Tuple[int, bytes, Mapping[str, str]]:
        """Send one logical request with retries; return (status, body, headers) of the final answer or raise _GaveUp."""
        policy = policy or self.policy
        started = self._clock()
        deadline = started + policy.max_total_s
        all_headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        all_headers.update(headers or {})
        data = None
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False, sort_keys=True).encode("utf-8")
            all_headers["Content-Type"] = "application/json; charset=utf-8"
        url = self.base_url + path
        reason = "no attempt made"
        attempt = 0
        while attempt < policy.max_attempts:
            remaining = deadline - self._clock()
            if remaining <= 0:
                reason += " (total time cap reached)"
                break
            attempt += 1
            retry_after: Optional[float] = None
            try:
                status_code, body, resp_headers = self._send_once(method, url, all_headers, data, params, remaining, deadline)
            except requests.RequestException as exc:
                reason = f"{method} {path} attempt {attempt}: {type(exc).__name__}"
            except _BodyTooSlow as exc:
                reason = f"{method} {path} attempt {attempt}: {exc}"
            else:
                if status_code not in RETRY_STATUSES:
                    if attempt > 1:
                        logger.info("%s %s answered HTTP %s on attempt %d", method, path, status_code, attempt)
                    return status_code, body, resp_headers
                reason = f"{method} {path} attempt {attempt}: HTTP {status_code}"
                retry_after = parse_retry_after(resp_headers.get("Retry-After"))
            logger.warning("backend call failed: %s", reason)
            if attempt >= policy.max_attempts:
                break
            delay = backoff_delay(attempt, policy.backoff_base_s, policy.backoff_cap_s, self._rng)
            if retry_after is not None:
                if retry_after > policy.retry_after_cap_s:
                    reason += f" (Retry-After {retry_after:.0f}s exceeds the cap)"
                    break
                delay = max(delay, retry_after)
            if self._clock() + delay >= deadline:
                reason += " (total time cap reached)"
                break
            self._sleep(delay)
        raise _GaveUp(f"gave up after {attempt} attempt(s): {reason}")

    def _send_once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: Optional[bytes],
        params: Optional[Mapping[str, str]],
        remaining: float,
        deadline: float,
    ) -> Tuple[int, bytes, Mapping[str, str]]:
        """One HTTP exchange, timeouts clipped to the remaining budget, body read with a deadline."""
        connect_t = max(0.05, min(self.timeouts[0], remaining))
        read_t = max(0.05, min(self.timeouts[1], remaining))
        response = self._get_session().request(
            method, url, headers=dict(headers), data=data, params=params,
            timeout=(connect_t, read_t), stream=True, allow_redirects=False,
        )
        try:
            chunks: List[bytes] = []
            size = 0
            for chunk in response.iter_content(chunk_size=65536):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _BodyTooSlow("response body too large")
                if self._clock() > deadline:
                    raise _BodyTooSlow("response body not received within the total time cap")
            return response.status_code, b"".join(chunks), response.headers
        finally:
            response.close()


class _BodyTooSlow(Exception):
    """Raised when a response body trickles past the deadline or grows past the size cap."""
