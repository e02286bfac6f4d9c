"""Rasa event broker (`event_broker:` in endpoints.yml): a projection of each conversation event, without any text or
slot value, sent to the backend in small batches for the service owner's figures (docs/workspace.md).

A projection keeps what the figures need and nothing a person wrote or was asked for: the conversation id as an
HMAC-SHA256 under ANALYTICS_KEY, the channel (from the sender's namespace and the message's server-set
`metadata.channel`), the kind of event, the intent, action, form and requested-field names, the answer plan's labels
(FAQ keys, "not_in_guide"), and the time. Every name must look like an identifier, so no text can pass for one.

`publish` never waits and never raises: it projects the event and puts it on a bounded in-memory queue (a full
queue drops it and counts the drop). One background thread per process sends what is queued every second (or at
BATCH_SIZE events) to `POST /api/v1/analytics/events` with the bot token; a transport error, 5xx or 429 is tried once
more after a short jittered pause, then the batch is dropped and counted. The figures are counts; a lost batch
makes them a little low, never wrong in kind, and never costs a conversation anything.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import queue
import re
import threading
import time
from asyncio import AbstractEventLoop, to_thread
from typing import Any, Callable, Dict, List, Optional, Text

import httpx
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

from bot.channels.senders import SEPARATOR, WECHAT
from reissue.analytics import ACTION, CHANNELS, FILED, LOOP, REQUESTED, SESSION, USER
from reissue.settings import get_settings

logger = logging.getLogger(__name__)

EVENTS_PATH = "/api/v1/analytics/events"
BATCH_SIZE = 100
FLUSH_S = 1.0
QUEUE_MAX = 10000
TIMEOUT_S = 2.0
MAX_ATTEMPTS = 2
MAX_TOTAL_S = 5.0
CLOSE_WAIT_S = 3.0
MAX_TOPICS = 8
# Slots whose setting is projected: the field the form asks for (its value is a slot name), and the filed
# application's number (only that it was given, never the number).
REQUESTED_SLOT = "requested_slot"
FILED_SLOT = "application_number"
# Actions that happen on every turn and tell the figures nothing.
SKIPPED_ACTIONS = frozenset({"action_listen"})
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_./:-]{0,63}")


def name_or_none(value: Any) -> Optional[str]:
    """`value` when it looks like an identifier (an intent, action, slot or label name), else None."""
    return value if isinstance(value, str) and _NAME.fullmatch(value) else None


def conversation_hash(sender_id: str, key: bytes) -> str:
    """The conversation's keyed hash: HMAC-SHA256 under ANALYTICS_KEY, 32 hex digits."""
    return hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def channel_of(event: Dict[str, Any]) -> Optional[str]:
    """web, rest or wechat: the server-given namespace first, then the channel the REST channel set."""
    sender = str(event.get("sender_id") or "")
    if sender.startswith(WECHAT + SEPARATOR):
        return WECHAT
    if event.get("event") != "user":
        return None
    claimed = (event.get("metadata") or {}).get("channel") if isinstance(event.get("metadata"), dict) else None
    for candidate in (claimed, event.get("input_channel")):
        if candidate in CHANNELS:
            return str(candidate)
    return None


def plan_labels(parse_data: Dict[str, Any]) -> tuple:
    """The labels of the answer plan's questions (FAQ keys, not_in_guide, …), identifiers only."""
    plan = parse_data.get("answer_plan") if isinstance(parse_data, dict) else None
    questions = plan.get("questions") if isinstance(plan, dict) else None
    labels = (name_or_none(q.get("label")) for q in questions or () if isinstance(q, dict))
    return tuple(label for label in labels if label)[:MAX_TOPICS]


def _names(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The kind and names of a Rasa event worth projecting, or None."""
    kind = event.get("event")
    if kind == "user":
        parse = event.get("parse_data") or {}
        intent = name_or_none((parse.get("intent") or {}).get("name")) if isinstance(parse, dict) else None
        return {"kind": USER, "intent": intent, "topics": list(plan_labels(parse))}
    if kind == "action":
        action = name_or_none(event.get("name"))
        return {"kind": ACTION, "action": action} if action and action not in SKIPPED_ACTIONS else None
    if kind == "active_loop":
        return {"kind": LOOP, "loop": name_or_none(event.get("name"))}
    if kind == "slot" and event.get("name") == REQUESTED_SLOT:
        return {"kind": REQUESTED, "slot": name_or_none(event.get("value"))}
    if kind == "slot" and event.get("name") == FILED_SLOT and event.get("value"):
        return {"kind": FILED}
    if kind == "session_started":
        return {"kind": SESSION}
    return None


def project(event: Dict[str, Any], key: bytes) -> Optional[Dict[str, Any]]:
    """The projection of one Rasa event as the broker receives it (`sender_id` added), or None to leave it out."""
    names = _names(event)
    sender = event.get("sender_id")
    if names is None or not isinstance(sender, str) or not sender:
        return None
    try:
        at = float(event.get("timestamp") or time.time())
    except (TypeError, ValueError):
        at = time.time()
    return {"conversation": conversation_hash(sender, key), "channel": channel_of(event), "at": at, **names}


def _transient(error: BaseException) -> bool:
    """Worth one more try: the backend was unreachable, failing (5xx) or busy (429)."""
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code >= 500 or error.response.status_code == 429
    return isinstance(error, httpx.TransportError)


class AnalyticsBroker(EventBroker):
    """Projects every event and sends the projections to the backend in batches from a background thread."""

    def __init__(self, url: str, token: str, key: str, batch_size: int = BATCH_SIZE, flush_s: float = FLUSH_S,
                 queue_max: int = QUEUE_MAX, timeout_s: float = TIMEOUT_S, max_attempts: int = MAX_ATTEMPTS,
                 client_factory: Optional[Callable[[], httpx.Client]] = None) -> None:
        """Send to `url` + EVENTS_PATH with `token`; hash conversation ids under `key`."""
        self.url = url.rstrip("/") + EVENTS_PATH
        self.key = key.encode("utf-8")
        self.batch_size, self.flush_s, self.max_attempts = int(batch_size), float(flush_s), int(max_attempts)
        self.queue: "queue.Queue[Dict[str, Any]]" = queue.Queue(maxsize=int(queue_max))
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client_factory = client_factory or (lambda: httpx.Client(timeout=timeout_s))
        self.sent = 0
        self.dropped = 0
        self.failing = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._worker: Optional[threading.Thread] = None

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: Optional[AbstractEventLoop] = None) -> "AnalyticsBroker":
        """The broker of `event_broker:` in endpoints.yml: backend, token and key from the settings; `batch_size`,
        `flush_s` and `queue_max` may be given there."""
        settings = get_settings()
        options = {name: broker_config.kwargs[name] for name in ("batch_size", "flush_s", "queue_max")
                   if name in broker_config.kwargs}
        return cls(broker_config.url or settings.analytics_url, settings.backend_token, settings.analytics_key,
                   **options)

    def health(self) -> Dict[str, Any]:
        """What the broker sent and dropped since the process started, whether it is dropping now, and how many
        events wait (for the token-protected health report of the REST channel)."""
        with self._lock:
            return {"sent": self.sent, "dropped": self.dropped, "failing": self.failing, "queued": self.queue.qsize()}

    def publish(self, event: Dict[Text, Any]) -> None:
        """Queue the event's projection; never blocks, never raises (a full queue drops and counts it)."""
        try:
            projected = project(event, self.key)
            if projected is None:
                return
            self._ensure_worker()
            self.queue.put_nowait(projected)
        except Exception:  # noqa: BLE001 - analytics must never fail a conversation
            self._count_dropped(1, "queue full" if self.queue.full() else "unexpected event")

    def _ensure_worker(self) -> None:
        """Start the sending thread on first use (after Rasa's workers have started, never at import)."""
        if self._worker is not None and self._worker.is_alive():
            return
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._stop.clear()
                self._worker = threading.Thread(target=self._run, name="analytics-broker", daemon=True)
                self._worker.start()

    def _take(self) -> List[Dict[str, Any]]:
        """The next batch: waits for a first event, then gathers more for up to `flush_s`."""
        try:
            batch = [self.queue.get(timeout=self.flush_s)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.flush_s
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                break
            try:
                batch.append(self.queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        """Send batches until asked to stop, then whatever is still queued."""
        with self.client_factory() as client:
            while not (self._stop.is_set() and self.queue.empty()):
                batch = self._take()
                if batch:
                    self._send(client, batch)

    def _post(self, client: httpx.Client, batch: List[Dict[str, Any]]) -> None:
        """One POST of a batch; raises on anything but 201."""
        response = client.post(self.url, json={"events": batch}, headers=self.headers)
        if response.status_code != 201:
            raise httpx.HTTPStatusError(str(response.status_code), request=response.request, response=response)

    def _send(self, client: httpx.Client, batch: List[Dict[str, Any]]) -> None:
        """Deliver a batch, one more try on a transient failure; else drop and count it."""
        retrying = Retrying(stop=stop_after_attempt(self.max_attempts) | stop_after_delay(MAX_TOTAL_S),
                            wait=wait_random_exponential(multiplier=0.2, max=1.0),
                            retry=retry_if_exception(_transient), reraise=True)
        try:
            retrying(self._post, client, batch)
        except Exception as error:  # noqa: BLE001 - a lost batch is counted, never raised
            reason = f"HTTP {error.response.status_code}" if isinstance(error, httpx.HTTPStatusError) else type(error).__name__
            self._count_dropped(len(batch), reason)
            return
        with self._lock:
            self.sent += len(batch)
            recovered, self.failing = self.failing, False
        if recovered:
            logger.info("analytics: the backend takes events again (%d dropped in all)", self.dropped)

    def _count_dropped(self, count: int, reason: str) -> None:
        """Count dropped events; say so once when dropping starts (not per batch)."""
        with self._lock:
            self.dropped += count
            first, self.failing = not self.failing, True
        if first:
            logger.warning("analytics: dropped %d events (%s); %d dropped in all, conversations go on", count,
                           reason, self.dropped)

    async def close(self) -> None:
        """Send what is queued (waiting at most CLOSE_WAIT_S), then stop the thread."""
        self._stop.set()
        worker = self._worker
        if worker is not None:
            await to_thread(worker.join, CLOSE_WAIT_S)
