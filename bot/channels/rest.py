"""The public REST channel (/webhooks/rest/webhook) with request limits, per-sender rate limiting and replies.

A drop-in for Rasa's `rest` channel (same name, so the URL and the JSON stay the same) that:
- answers an oversized request with 413 and a polite JSON list, a too-long message with a polite 200;
- limits each sender to `rate_limit` messages per `rate_window_s`, each client address to
  `address_rate_limit` and everybody together to `global_rate_limit` (so rotating sender ids does not
  help), in Redis when configured so every process and worker shares the counts, answering 200 with a
  polite text instead of silence; the address is read as `bot.channels.addresses` says, and callers on
  this machine are limited only per sender;
- rejects malformed bodies with 400 (a JSON list the widget can show), never a 500, and a sender id in a
  namespace the server gives another channel (`wechat:<openid>`, see `bot.channels.senders`);
- answers a polite apology when Rasa produced nothing (action server down, a crash, a timeout);
- passes `metadata` through to Rasa when it is a JSON object, with `channel` set by the server (`web` for
  the widget, else `rest`; the input channel is always `rest`) whatever the client wrote;
- lets through only the intent payloads the front ends use (`/greet`, `/deny`, `/affirm` by default): any
  other "/…" text is read as words, so nobody can inject intents, entities or `/restart` from outside;
- masks ID and phone numbers in every log record of the Rasa process (`install_scrubber`);
- serves `GET /webhooks/rest/health`: the tracker store's health (`bot.stores`), 503 while it fails
  (the details — store, counts, last error, the analytics broker's sent and dropped events — only with `?token=`
  the Rasa API token).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
import unicodedata
from collections import OrderedDict, deque
from typing import Any, Awaitable, Callable, Deque, Dict, FrozenSet, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.analytics_broker import AnalyticsBroker
from bot.channels.senders import in_server_namespace, rest_channel, with_channel
from bot.shared_redis import SharedRedis
from reissue import knowledge
from reissue.addresses import client_address, is_loopback, log_network, parse_networks
from reissue.settings import get_settings

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
MAX_TRACKED_SENDERS = 100_000
EVERYBODY = "all"  # the one key of the global limit


class BadRequest(ValueError):
    """The request body is not a usable REST message (answered with 400)."""


def parse_body(raw: bytes) -> Tuple[str, Optional[str], Optional[Dict[str, Any]]]:
    """(sender, message, metadata) from a request body; raise BadRequest when unusable (`input_channel` is ignored)."""
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest("body is not JSON") from error
    if not isinstance(body, dict):
        raise BadRequest("body is not a JSON object")
    sender = body.get("sender")
    if isinstance(sender, (int, float)) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("sender missing")
    if len(sender) > MAX_SENDER_CHARS or any(unicodedata.category(c).startswith("C") for c in sender):
        raise BadRequest("sender too long or with control characters")
    if in_server_namespace(sender):
        raise BadRequest("sender in another channel's namespace")
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        raise BadRequest("message is not text")
    metadata = body.get("metadata")
    return sender, message, metadata if isinstance(metadata, dict) else None


def clean_text(text: Optional[str]) -> str:
    """The message without control characters and lone surrogates (newlines and tabs become spaces)."""
    if not text:
        return ""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in "\n\r\t\x0b\x0c":
            out.append(" ")
        elif category not in ("Cc", "Cs"):
            out.append(char)
    return "".join(out)


def neutralise_payload(text: str, allowed: FrozenSet[str]) -> str:
    """`text` unless it is a Rasa "/intent{…}" payload not in `allowed`: then its words without the slashes."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    if stripped[1:] in allowed:
        return stripped
    return stripped.lstrip("/").strip()


def polite(sender: Optional[str], text: str) -> List[Dict[str, Any]]:
    """A reply in the REST channel's JSON shape."""
    return [{"recipient_id": sender, "text": text}] if sender else [{"text": text}]


class SlidingWindowLimiter:
    """Per-key sliding-window rate limiter in process memory (bounded number of keys)."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        """At most `limit` hits per key within any `window_s` seconds."""
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.hits: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def allow(self, key: str) -> bool:
        """Record a hit for `key`; False when it is over the limit (a refused hit is not counted)."""
        if self.limit <= 0:
            return True
        now = self.clock()
        window = self.hits.pop(key, None) or deque()
        while window and now - window[0] >= self.window_s:
            window.popleft()
        allowed = len(window) < self.limit
        if allowed:
            window.append(now)
        self.hits[key] = window
        while len(self.hits) > MAX_TRACKED_SENDERS:
            self.hits.popitem(last=False)
        return allowed


class RedisWindowLimiter:
    """Per-key fixed-window rate limiter in Redis, shared by every process; falls back to memory on errors."""

    def __init__(self, url: str, limit: int, window_s: float, fallback: SlidingWindowLimiter,
                 prefix: str = "reissue:rest:rate") -> None:
        """Count hits in Redis at `url` (redis://host:port/db)."""
        self.limit, self.window_s, self.fallback, self.prefix = limit, window_s, fallback, prefix
        self.redis = SharedRedis(url, "rate limiter", "limiting per process", logger)

    async def allow(self, key: str) -> bool:
        """Count a hit in the current window; False when over the limit."""
        if self.limit <= 0:
            return True
        window = int(time.time() // self.window_s)
        redis_key = f"{self.prefix}:{key}:{window}"
        try:
            pipe = self.redis.client().pipeline()
            pipe.incr(redis_key)
            pipe.expire(redis_key, int(self.window_s) + 1)
            count, _ = await pipe.execute()
            return int(count) <= self.limit
        except Exception as error:  # noqa: BLE001 - rate limiting must never take the channel down
            self.redis.unavailable(error)
            return self.fallback.allow(key)


class WindowLimiter:
    """One limit per key: in Redis when a URL is given (shared by every process), else, or while Redis is down, in memory."""

    def __init__(self, limit: int, window_s: float, redis_url: str = "", prefix: str = "reissue:rest:rate") -> None:
        """At most `limit` hits per key per `window_s` seconds (0 = unlimited)."""
        self.memory = SlidingWindowLimiter(limit, window_s)
        self.redis = RedisWindowLimiter(redis_url, limit, window_s, self.memory, prefix) if redis_url else None

    async def allow(self, key: str) -> bool:
        """Count a hit for `key`; False when it is over the limit."""
        if self.redis is not None:
            return await self.redis.allow(key)
        return self.memory.allow(key)


def install_log_scrubber() -> None:
    """Mask ID and phone numbers in every log record of this (Rasa) process; safe to call twice."""
    from reissue.logging_setup import ScrubFilter, install_scrubber

    root = logging.getLogger()
    if not any(isinstance(f, ScrubFilter) for f in root.filters):
        install_scrubber(root)


class RestInput(RasaRestInput):
    """Rasa's REST channel with limits and polite answers; still called "rest"."""

    @classmethod
    def name(cls) -> str:
        """The channel name (and URL part): unchanged."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "RestInput":
        """Build from credentials.yml (all optional), falling back to the settings."""
        creds = credentials or {}
        settings = get_settings()

        def pick(key: str, default: Any, kind: Callable[[Any], Any]) -> Any:
            """A credential value converted by `kind`, or the setting when unset or unexpanded."""
            value = creds.get(key)
            if value is None or (isinstance(value, str) and (not value.strip() or value.startswith("${"))):
                return default
            try:
                return kind(value)
            except (TypeError, ValueError):
                return default

        install_log_scrubber()
        return cls(
            rate_limit=pick("rate_limit", settings.rest_rate_limit, int),
            rate_window_s=pick("rate_window_s", settings.rest_rate_window_s, float),
            max_body_bytes=pick("max_body_bytes", settings.rest_max_body_bytes, int),
            max_message_chars=pick("max_message_chars", settings.rest_max_message_chars, int),
            redis_url=pick("rate_limit_redis_url", settings.rate_limit_redis_url, str),
            intent_payloads=pick("intent_payloads", settings.rest_intent_payloads, str),
            address_rate_limit=pick("address_rate_limit", settings.rest_address_rate_limit, int),
            global_rate_limit=pick("global_rate_limit", settings.rest_global_rate_limit, int),
            trusted_proxies=pick("trusted_proxies", settings.trusted_proxies, str),
        )

    def __init__(self, rate_limit: int = 30, rate_window_s: float = 60.0, max_body_bytes: int = 32768,
                 max_message_chars: int = 1000, redis_url: str = "", intent_payloads: str = "greet,deny,affirm",
                 address_rate_limit: int = 120, global_rate_limit: int = 3000, trusted_proxies: str = "127.0.0.1,::1") -> None:
        """Limits as given (per window, 0 = unlimited); Redis counting when `redis_url` is set; lists comma-separated."""
        self.intent_payloads = frozenset(p.strip() for p in intent_payloads.split(",") if p.strip())
        self.rate_limit, self.rate_window_s = rate_limit, rate_window_s
        self.max_body_bytes, self.max_message_chars = max_body_bytes, max_message_chars
        self.trusted_proxies = parse_networks(trusted_proxies)
        self.sender_limit = WindowLimiter(rate_limit, rate_window_s, redis_url, "reissue:rest:rate")
        self.address_limit = WindowLimiter(address_rate_limit, rate_window_s, redis_url, "reissue:rest:rate-address")
        self.global_limit = WindowLimiter(global_rate_limit, rate_window_s, redis_url, "reissue:rest:rate-global")

    def address_of(self, request: Request) -> str:
        """The client address of `request`, through X-Forwarded-For only from a trusted proxy."""
        return client_address(request.ip, ",".join(request.headers.getall("x-forwarded-for", [])), self.trusted_proxies)

    async def over_limit(self, sender: str, address: str) -> Optional[str]:
        """The limit one more message from `sender` at `address` would break ("per-sender", "per-address", "global")."""
        if not await self.sender_limit.allow(sender):
            return "per-sender"
        if is_loopback(address):
            return None
        if not await self.address_limit.allow(hashlib.sha256(address.encode("utf-8")).hexdigest()[:32]):
            return "per-address"
        if not await self.global_limit.allow(EVERYBODY):
            return "global"
        return None

    def too_big(self, request: Request) -> bool:
        """Whether the request body is over the byte limit (by header or by the body read)."""
        try:
            declared = int(request.headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        return max(declared, len(request.body or b"")) > self.max_body_bytes

    async def handle(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        """One POST to the webhook: limits first, then Rasa, and a reply every time."""
        if self.too_big(request):
            return response.json(polite(None, knowledge.message("channel_too_big")), status=413)
        try:
            sender, text, metadata = parse_body(request.body)
        except BadRequest as error:
            logger.info("rest: bad request (%s)", error)
            return response.json(polite(None, knowledge.message("channel_bad_request")), status=400)
        if text is not None and len(text) > self.max_message_chars:
            return response.json(polite(sender, knowledge.message("channel_too_long")))
        address = self.address_of(request)
        limit = await self.over_limit(sender, address)
        if limit is not None:
            logger.info("rest: over the %s rate limit (from %s)", limit, log_network(address))
            retry_after = {"Retry-After": str(int(self.rate_window_s))}
            return response.json(polite(sender, knowledge.message("channel_slow_down")), headers=retry_after)
        text = neutralise_payload(clean_text(text), self.intent_payloads)
        if text.strip() == "":
            return response.json(polite(sender, knowledge.message("channel_bad_request")))
        channel = self.name()
        metadata = with_channel(metadata, rest_channel(metadata))
        if request.args.get("stream", "").lower() == "true":
            return response.stream(
                self.stream_response(on_new_message, text, sender, channel, metadata),
                content_type="text/event-stream",
            )
        from bot.stores import watched_turn

        collector = CollectingOutputChannel()
        with watched_turn() as turn:
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=channel, metadata=metadata))
            except asyncio.CancelledError:
                logger.error("rest: message handling timed out for sender %s…", sender[:6])
            except Exception as error:  # noqa: BLE001 - the user gets an apology, the log gets the error
                logger.error("rest: message handling failed for sender %s…: %s", sender[:6], type(error).__name__)
        if turn.store_failed:
            # The conversation could not be read or kept: whatever Rasa answered came from a blank one.
            logger.warning("rest: the tracker store failed during the turn of sender %s…; apologising", sender[:6])
            return response.json(polite(sender, knowledge.message("channel_not_kept")))
        if not collector.messages:
            logger.warning("rest: Rasa produced no reply for sender %s…; apologising", sender[:6])
            return response.json(polite(sender, knowledge.message("channel_sorry")))
        return response.json(collector.messages)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Routes: GET / (alive), GET /health (tracker store), POST /webhook."""
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def alive(request: Request) -> HTTPResponse:
            """The channel is mounted."""
            return response.json({"status": "ok"})

        @webhook.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Tracker and lock store health of this process: 503 while either fails; details (and the analytics
            broker's counts, which never fail the health) only with the Rasa token."""
            from bot.stores import lock_store_health, tracker_store_health

            agent = getattr(request.app.ctx, "agent", None)
            report, lock = await asyncio.gather(tracker_store_health(probe=True),
                                                lock_store_health(getattr(agent, "lock_store", None)))
            report["lock_store"] = lock
            if lock["status"] == "failing":
                report["status"] = "failing"
            code = 503 if report["status"] == "failing" else 200
            if not hmac.compare_digest(request.args.get("token", ""), get_settings().rasa_auth_token):
                return response.json({"status": report["status"]}, status=code)
            report["pid"] = os.getpid()
            broker = getattr(getattr(agent, "tracker_store", None), "event_broker", None)
            if isinstance(broker, AnalyticsBroker):
                report["analytics"] = broker.health()
            return response.json(report, status=code)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            """A user message."""
            return await self.handle(request, on_new_message)

        return webhook
