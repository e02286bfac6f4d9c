"""In-memory stand-in for the backend client, for unit tests of actions and the outbox."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from clients.backend import AdminOutcome, StatusOutcome, SubmitOutcome

Scripted = Union[SubmitOutcome, StatusOutcome, str, BaseException]


@dataclass
class FakeCall:
    """One recorded call: the method name and its arguments."""

    method: str
    args: Tuple[Any, ...]


@dataclass
class FakeBackendClient:
    """BackendClient that records calls and answers from a script, then like a well-behaved backend.

    Usage: ``fake = FakeBackendClient(); fake.script_submit("unavailable", "unavailable")`` makes the
    first two submissions fail; afterwards a new key is "submitted" with a fresh number and a key seen
    before is a "duplicate" with the same number. Script entries may be outcome objects, a kind string,
    or an exception instance to raise. ``statuses[(number, last4)]``, ``photos[ref]`` and ``admin[number]``
    feed the queries.
    """

    statuses: Dict[Tuple[str, str], StatusOutcome] = field(default_factory=dict)
    photos: Dict[str, bytes] = field(default_factory=dict)
    admin: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    number_prefix: str = "FAKE"
    calls: List[FakeCall] = field(default_factory=list)
    stored: Dict[str, Tuple[Dict[str, Any], str]] = field(default_factory=dict)
    unanswered: List[Dict[str, Any]] = field(default_factory=list)
    record_ok: bool = True
    _submit_script: List[Scripted] = field(default_factory=list)
    _status_script: List[Scripted] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def script_submit(self, *outcomes: Scripted) -> "FakeBackendClient":
        """Queue answers for the next submissions, in order."""
        self._submit_script.extend(outcomes)
        return self

    def script_status(self, *outcomes: Scripted) -> "FakeBackendClient":
        """Queue answers for the next status queries, in order."""
        self._status_script.extend(outcomes)
        return self

    @property
    def submitted_keys(self) -> List[str]:
        """Idempotency keys of every submit call, in order (repeats included)."""
        return [c.args[1] for c in self.calls if c.method == "submit"]

    async def submit(self, application: Dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """Record the call; answer from the script, else store once per key like the real backend."""
        with self._lock:
            self.calls.append(FakeCall("submit", (dict(application), idempotency_key)))
            if self._submit_script:
                scripted = self._submit_script.pop(0)
                if isinstance(scripted, BaseException):
                    raise scripted
                outcome = scripted if isinstance(scripted, SubmitOutcome) else SubmitOutcome(str(scripted))
                if outcome.accepted:
                    number = outcome.number or self._store(application, idempotency_key)
                    self.stored.setdefault(idempotency_key, (dict(application), number))
                    return SubmitOutcome(outcome.kind, number=number, status=outcome.status or "received",
                                         created_at=outcome.created_at, message=outcome.message)
                if outcome.kind == "unavailable" and outcome.message is None:
                    return SubmitOutcome("unavailable", message="scripted: backend unavailable")
                return outcome
            if idempotency_key in self.stored:
                return SubmitOutcome("duplicate", number=self.stored[idempotency_key][1], status="received")
            return SubmitOutcome("submitted", number=self._store(application, idempotency_key), status="received")

    def _store(self, application: Dict[str, Any], key: str) -> str:
        """Keep the application under its key and return its new number (caller holds the lock)."""
        if key in self.stored:
            return self.stored[key][1]
        number = f"{self.number_prefix}{len(self.stored) + 1:06d}"
        self.stored[key] = (dict(application), number)
        return number

    async def get_status(self, number: str, id_last4: str) -> StatusOutcome:
        """Record the call; answer from the script, else from `statuses`, else not_found."""
        with self._lock:
            self.calls.append(FakeCall("get_status", (number, id_last4)))
            if self._status_script:
                scripted = self._status_script.pop(0)
                if isinstance(scripted, BaseException):
                    raise scripted
                return scripted if isinstance(scripted, StatusOutcome) else StatusOutcome(str(scripted))
            return self.statuses.get((number, id_last4.upper()), StatusOutcome("not_found"))

    async def fetch_photo(self, ref: str) -> Optional[bytes]:
        """Record the call; return the photo from `photos` or None."""
        with self._lock:
            self.calls.append(FakeCall("fetch_photo", (ref,)))
            return self.photos.get(ref)

    async def record_unanswered(self, question: Dict[str, Any]) -> bool:
        """Record the call; keep the question when `record_ok`."""
        with self._lock:
            self.calls.append(FakeCall("record_unanswered", (dict(question),)))
            if self.record_ok:
                self.unanswered.append(dict(question))
            return self.record_ok

    async def admin_record(self, number: str, staff_token: str) -> AdminOutcome:
        """Record the call; the staff view from `admin`, else not_found."""
        with self._lock:
            self.calls.append(FakeCall("admin_record", (number, staff_token)))
            record = self.admin.get(number)
            return AdminOutcome("found", record=record, http_status=200) if record else AdminOutcome("not_found", http_status=404)
