"""Rasa input channel for WeChat mini-program customer-service messages (/webhooks/wechat/webhook).

A push is taken only when it is authentic, fresh and new: the signature is right; its timestamp is within
five minutes of this server's clock; with an EncodingAESKey configured it is sealed (a plaintext push is
refused); and its (timestamp, nonce, signature) has not already carried another push. Its conversation is
`wechat:<openid>` and its channel `wechat`, both decided here. An image is the photo when the form asks for one
(`wechat_media`); any other time it is answered with a polite word and never reaches the model.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import logging
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set, Tuple, Union

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.senders import WECHAT, conversation_id, with_channel
from bot.channels.wechat_api import SendPolicy, SendResult, WeChatApiClient
from bot.channels.wechat_crypto import (
    DecryptError,
    InvalidSignatureError,
    MessageCrypto,
    check_signature,
)
from bot.channels.wechat_handoff import PLATFORM, WeChatHandoffs, tracker_summary
from bot.channels.wechat_media import PhotoIntake, photo_requested
from bot.channels.wechat_render import Choice, is_handoff_request, render_turn, resolve_choice
from bot.channels.wechat_state import MemoryWeChatState, RedisWeChatState
from reissue import clock as reissue_clock
from reissue import knowledge
from reissue.application import find_application_number, find_reference
from reissue.handoff import staffed
from reissue.masking import mask_openid
from reissue.settings import get_settings

logger = logging.getLogger(__name__)

CHANNEL_NAME = WECHAT
MAX_CLOCK_SKEW_S = 300  # a signed request older or newer than this is refused
GREET_PAYLOAD = "/greet"
IMAGE_TEXT = "[图片]"
CARD_TEXT = "[小程序卡片]"
TRANSFER_MSG_TYPE = "transfer_customer_service"
ENTER_EVENT = "user_enter_tempsession"
QUOTA_AFTER_MESSAGE = 5
QUOTA_AFTER_ENTER = 2
MAX_BODY_BYTES = 64 * 1024
_UNEXPANDED_ENV = re.compile(r"^\$\{[^}]*\}$")


class BadPayload(ValueError):
    """The push body is not a well-formed WeChat message (answered with 400)."""


class Forbidden(Exception):
    """The request is not authentic, fresh and new (answered with 403); the message is the reason, safe to log."""


@dataclass
class Incoming:
    """What one push asks Rasa to process: the text, for whom, with which metadata and send quota."""

    openid: str
    text: str
    kind: str
    metadata: Dict[str, Any] = field(default_factory=dict)
    quota: int = QUOTA_AFTER_MESSAGE


def parse_body(body: bytes) -> Tuple[Dict[str, Any], str]:
    """Parse a JSON or XML push into a flat dict of fields; return it with the format ("json"/"xml")."""
    try:
        text = body.decode("utf-8").lstrip("\ufeff").strip()
    except UnicodeDecodeError as exc:
        raise BadPayload("body is not UTF-8") from exc
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise BadPayload("invalid JSON") from exc
        if not isinstance(data, dict):
            raise BadPayload("JSON body is not an object")
        fields = {str(k): (str(v).strip() if isinstance(v, (str, int, float)) else v) for k, v in data.items()}
        return fields, "json"
    if text.startswith("<"):
        lowered = text.lower()
        if "<!doctype" in lowered or "<!entity" in lowered:
            raise BadPayload("DTDs are not accepted")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise BadPayload("invalid XML") from exc
        fields = {child.tag: (child.text or "").strip() for child in root if len(child) == 0}
        return fields, "xml"
    raise BadPayload("body is neither JSON nor XML")


def _cdata(value: str) -> str:
    """Wrap `value` in CDATA, splitting any "]]>" it contains."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def to_xml(fields: Dict[str, Any]) -> str:
    """Render a flat dict as WeChat XML (numbers bare, strings in CDATA)."""
    parts = ["<xml>"]
    for key, value in fields.items():
        inner = str(value) if isinstance(value, int) else _cdata(str(value))
        parts.append(f"<{key}>{inner}</{key}>")
    parts.append("</xml>")
    return "".join(parts)


def serialize(fields: Dict[str, Any], fmt: str) -> Tuple[str, str]:
    """Return (body, content type) for a passive reply in the push's format."""
    if fmt == "json":
        return json.dumps(fields, ensure_ascii=False), "application/json; charset=utf-8"
    return to_xml(fields), "application/xml; charset=utf-8"


def transfer_reply(push: Dict[str, Any], now: Optional[int] = None) -> Dict[str, Any]:
    """Build the transfer_customer_service reply to a push."""
    return {
        "ToUserName": str(push.get("FromUserName", "")),
        "FromUserName": str(push.get("ToUserName", "")),
        "CreateTime": int(now if now is not None else time.time()),
        "MsgType": TRANSFER_MSG_TYPE,
    }


def dedupe_key(push: Dict[str, Any]) -> Optional[str]:
    """Return the key WeChat retries share: MsgId, or FromUserName+CreateTime (+Event) for events."""
    msg_id = str(push.get("MsgId") or "").strip()
    if msg_id:
        return f"id:{msg_id}"
    openid = str(push.get("FromUserName") or "")
    created = str(push.get("CreateTime") or "")
    if openid and created:
        return f"ev:{openid}:{created}:{push.get('Event') or push.get('MsgType') or ''}"
    return None


def interpret(push: Dict[str, Any]) -> Optional[Incoming]:
    """Map a decoded push to what Rasa should receive, or None for pushes the bot ignores."""
    openid = str(push.get("FromUserName") or "").strip()
    msg_type = str(push.get("MsgType") or "").strip().lower()
    if not openid:
        return None
    base = {"wechat": {"msg_type": msg_type, "msg_id": str(push.get("MsgId") or ""),
                       "create_time": str(push.get("CreateTime") or "")}}
    if msg_type == "text":
        content = str(push.get("Content") or "").strip()
        return Incoming(openid, content, "text", base) if content else None
    if msg_type == "image":
        metadata = dict(base, pic_url=str(push.get("PicUrl") or ""), media_id=str(push.get("MediaId") or ""))
        return Incoming(openid, IMAGE_TEXT, "image", metadata)
    if msg_type == "miniprogrampage":
        metadata = dict(base, title=str(push.get("Title") or ""), page_path=str(push.get("PagePath") or ""))
        return Incoming(openid, CARD_TEXT, "miniprogrampage", metadata)
    if msg_type == "event" and str(push.get("Event") or "").strip() == ENTER_EVENT:
        metadata = dict(base, session_from=str(push.get("SessionFrom") or ""))
        return Incoming(openid, GREET_PAYLOAD, "enter", metadata, quota=QUOTA_AFTER_ENTER)
    return None


def push_digest(push: Dict[str, Any]) -> str:
    """A digest of a decoded push: the same for WeChat's resend of it, different for any other push."""
    canonical = json.dumps(push, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _credential(credentials: Dict[str, Any], keys: Tuple[str, ...], fallback: str) -> str:
    """Return the first non-empty credential among `keys` (unexpanded ${VAR} counts as empty), else `fallback`."""
    for key in keys:
        value = credentials.get(key)
        if value is None:
            continue
        text = str(value).strip()
        if text and not _UNEXPANDED_ENV.match(text):
            return text
    return fallback


def log_undelivered(openid: str, payload: Dict[str, Any], result: SendResult) -> None:
    """Log a reply WeChat never accepted: masked user, why, and any application number or reference it carried."""
    body = payload.get("text")
    text = str(body.get("content") or "") if isinstance(body, dict) else ""
    logger.error(
        "wechat.send.undelivered user=%s msgtype=%s errcode=%s attempts=%d application=%s reference=%s",
        mask_openid(openid),
        payload.get("msgtype"),
        result.errcode,
        result.attempts,
        find_application_number(text) or "-",
        find_reference(text) or "-",
    )


class WeChatInput(InputChannel):
    """WeChat mini-program customer-service channel: verifies, decrypts, answers `success`, replies later."""

    @classmethod
    def name(cls) -> str:
        """Return the channel name, which is also the URL prefix: /webhooks/wechat/."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "WeChatInput":
        """Build the channel from credentials.yml, falling back to the settings for empty values."""
        creds = credentials or {}
        settings = get_settings()
        return cls(
            token=_credential(creds, ("token",), settings.wechat_token),
            aes_key=_credential(creds, ("aes_key", "encoding_aes_key"), settings.wechat_aes_key),
            aes_key_previous=_credential(
                creds, ("aes_key_previous", "encoding_aes_key_previous"), settings.wechat_aes_key_previous
            ),
            appid=_credential(creds, ("appid", "app_id"), settings.wechat_appid),
            secret=_credential(creds, ("secret", "app_secret"), settings.wechat_secret),
            api_base=_credential(creds, ("api_base",), settings.wechat_api_base),
            state_redis_url=_credential(creds, ("state_redis_url",), settings.wechat_state_redis_url),
        )

    def __init__(
        self,
        token: str,
        aes_key: str = "",
        aes_key_previous: str = "",
        appid: str = "",
        secret: str = "",
        api_base: str = "https://api.weixin.qq.com",
        api_client: Optional[WeChatApiClient] = None,
        photo_intake: Optional[PhotoIntake] = None,
        handoffs: Optional[WeChatHandoffs] = None,
        handoff_mode: str = "",
        cache_dir: Optional[Path] = None,
        dedupe_ttl_s: float = 600.0,
        choice_ttl_s: float = 6 * 3600.0,
        max_users: int = 10000,
        state_redis_url: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Configure the channel; the API client is created on first use; state in Redis when a URL is given."""
        self.clock = clock
        self.token = token
        self.appid = appid
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        keys = [k for k in (aes_key, aes_key_previous) if k]
        self.crypto: Optional[MessageCrypto] = MessageCrypto(token, keys, appid) if keys else None
        self._api = api_client
        self._photos = photo_intake
        self._handoffs = handoffs
        self.handoff_mode = (handoff_mode or get_settings().wechat_handoff).strip().lower()
        self._cache_dir = cache_dir
        # A used request is remembered for as long as its timestamp could still pass the freshness check.
        request_ttl_s = 2 * MAX_CLOCK_SKEW_S
        memory = MemoryWeChatState(max_users, dedupe_ttl_s, choice_ttl_s, request_ttl_s)
        self.state: Union[MemoryWeChatState, RedisWeChatState] = (
            RedisWeChatState(state_redis_url, memory, dedupe_ttl_s, choice_ttl_s, request_ttl_s=request_ttl_s)
            if state_redis_url else memory
        )
        self._locks: Dict[str, List[Any]] = {}
        self._tasks: Set["asyncio.Task[None]"] = set()
        if not token:
            logger.warning("wechat: WECHAT_TOKEN is not set; every webhook request will be refused")

    @property
    def api(self) -> WeChatApiClient:
        """Return the send-API client, created on first use with the token cache under var_dir."""
        if self._api is None:
            settings = get_settings()
            policy = SendPolicy(max_attempts=max(1, settings.wechat_send_max_attempts),
                                max_total_s=max(0.0, settings.wechat_send_max_total_s))
            self._api = WeChatApiClient(self.appid, self.secret, self.api_base, self._cache_dir or settings.var_dir,
                                        policy=policy)
        return self._api

    @property
    def photos(self) -> PhotoIntake:
        """Return the photo intake (media download, backend upload), created on first use."""
        if self._photos is None:
            self._photos = PhotoIntake(self.api, get_settings().backend_url)
        return self._photos

    @property
    def handoffs(self) -> WeChatHandoffs:
        """Return the live handoffs of WeChat users (console mode), created on first use."""
        if self._handoffs is None:
            settings = get_settings()
            self._handoffs = WeChatHandoffs(self.api, settings.backend_url, settings.backend_token)
        return self._handoffs

    async def remembered_choices(self, openid: str) -> Optional[List[Choice]]:
        """Return the numbered choices last offered to `openid`, if still remembered."""
        return await self.state.choices(openid)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every background turn has finished (used by tests and at shutdown)."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise asyncio.TimeoutError("wechat turns still running")
            await asyncio.wait(set(self._tasks), timeout=remaining)

    def _spawn(self, coro: Awaitable[None]) -> None:
        """Run `coro` in the background, keeping a reference until it finishes."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: "asyncio.Future[None]") -> None:
        """Forget a finished turn and log (without its content) any error it raised."""
        self._tasks.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            logger.error("wechat.turn.crashed error=%s", type(task.exception()).__name__)

    @contextlib.asynccontextmanager
    async def _user_lock(self, openid: str) -> AsyncIterator[None]:
        """Serialise the turns of one user so replies and remembered choices stay in order."""
        entry = self._locks.setdefault(openid, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(openid, None)

    async def _photo_text(self, incoming: Incoming, tracker_store: Any) -> Optional[str]:
        """For an image: the text the form receives (the uploaded photo's reference), or None once the user has been
        told why not (no photo asked for, not received, refused by the backend)."""
        openid = incoming.openid
        try:
            wanted = await photo_requested(tracker_store, conversation_id(CHANNEL_NAME, openid))
        except Exception as exc:  # noqa: BLE001 - the tracker store is down: the user is asked to send it again
            logger.warning("wechat.photo.state_unknown user=%s error=%s", mask_openid(openid), type(exc).__name__)
            await self._deliver(openid, [knowledge.message("channel_wechat_photo_not_received")], incoming.kind)
            return None
        if not wanted:
            await self._deliver(openid, [knowledge.message("channel_wechat_photo_unexpected")], incoming.kind)
            return None
        outcome = await self.photos.take(str(incoming.metadata.get("media_id") or ""))
        logger.info("wechat.photo user=%s uploaded=%s", mask_openid(openid), outcome.text is not None)
        if outcome.text is None:
            await self._deliver(openid, [outcome.reply or knowledge.message("channel_wechat_photo_not_received")],
                                incoming.kind)
        return outcome.text

    async def _open_handoff(self, incoming: Incoming, tracker_store: Any) -> bool:
        """Console mode: queue the conversation for a person during staffed hours; False to let Rasa answer (the
        hotline and the hall, and outside staffed hours the offer of a callback)."""
        if not staffed(reissue_clock.now(), get_settings().handoff_hours):
            return False
        try:
            tracker = await tracker_store.retrieve(conversation_id(CHANNEL_NAME, incoming.openid)) \
                if tracker_store is not None else None
        except Exception as exc:  # noqa: BLE001 - without the tracker the summary is shorter, the person still comes
            logger.warning("wechat.handoff.no_tracker error=%s", type(exc).__name__)
            tracker = None
        ahead = await self.handoffs.open(incoming.openid, tracker_summary(tracker, incoming.text))
        if ahead is None:
            return False
        await self.state.forget_choices(incoming.openid)
        await self._deliver(incoming.openid, [knowledge.message("handoff_queued", ahead=ahead)], incoming.kind)
        return True

    async def _deliver(self, openid: str, texts: List[str], kind: str) -> None:
        """Send the channel's own replies (not from a Rasa turn) as text messages."""
        await self._send_all(openid, [{"msgtype": "text", "text": {"content": text}} for text in texts], kind)

    async def _send_all(self, openid: str, payloads: List[Dict[str, Any]], kind: str) -> None:
        """Send payloads in order through the send API, logging any WeChat never accepted."""
        sent = 0
        for payload in payloads:
            result = await self.api.send_message(openid, payload)
            sent += int(result.ok)
            if not result.ok:
                log_undelivered(openid, payload, result)
        logger.info("wechat.turn.done user=%s kind=%s messages=%d sent=%d", mask_openid(openid), kind, len(payloads),
                    sent)

    async def _handle_turn(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], incoming: Incoming, tracker_store: Any = None
    ) -> None:
        """Run one turn through Rasa and send its merged reply through the send API."""
        openid = incoming.openid
        async with self._user_lock(openid):
            text = incoming.text
            if incoming.kind != "enter" and self.handoff_mode != PLATFORM:
                relayed = await self.handoffs.relay(openid, text)
                if relayed.replies:
                    await self._deliver(openid, relayed.replies, incoming.kind)
                if relayed.taken:
                    logger.info("wechat.handoff.relayed user=%s kind=%s route=%s", mask_openid(openid), incoming.kind,
                                relayed.route)
                    return
            metadata = with_channel(incoming.metadata, CHANNEL_NAME)
            if incoming.kind == "text":
                chosen = resolve_choice(text, await self.state.choices(openid) or [])
                if chosen is not None:
                    metadata["wechat_choice"] = {"number": chosen.number, "title": chosen.title}
                    text = chosen.payload
            if incoming.kind == "text" and self.handoff_mode != PLATFORM and is_handoff_request(text) \
                    and await self._open_handoff(incoming, tracker_store):
                return
            if incoming.kind == "image":
                photo_text = await self._photo_text(incoming, tracker_store)
                if photo_text is None:
                    return
                text = photo_text
            from bot.stores import watched_turn

            collector = CollectingOutputChannel()
            failed = False
            with watched_turn() as turn:
                try:
                    await on_new_message(UserMessage(text, collector, sender_id=conversation_id(CHANNEL_NAME, openid),
                                                     input_channel=CHANNEL_NAME, metadata=metadata))
                except Exception as exc:  # the user still deserves an answer; never crash the task
                    failed = True
                    logger.error(
                        "wechat.turn.failed user=%s error=%s",
                        mask_openid(openid),
                        type(exc).__name__,
                        exc_info=logger.isEnabledFor(logging.DEBUG),
                    )
            # A tracker store failure during the turn: the conversation was not read or kept, the reply (and its
            # choices) came from a blank one and is replaced by an apology that says so.
            not_kept = turn.store_failed
            rendered = render_turn([] if not_kept else collector.messages, max_messages=incoming.quota)
            payloads = rendered.payloads
            if not_kept:
                logger.warning("wechat.turn.not_kept user=%s", mask_openid(openid))
                payloads = [{"msgtype": "text", "text": {"content": knowledge.message("channel_not_kept")}}]
            elif not payloads and failed:
                payloads = [{"msgtype": "text", "text": {"content": knowledge.message("channel_wechat_sorry")}}]
            if rendered.choices:
                await self.state.remember_choices(openid, rendered.choices)
            elif payloads:
                await self.state.forget_choices(openid)
            if rendered.truncated:
                logger.warning("wechat.turn.truncated user=%s", mask_openid(openid))
            await self._send_all(openid, payloads, incoming.kind)

    def _passive_reply(
        self, fields: Dict[str, Any], fmt: str, key_index: Optional[int], nonce: str
    ) -> HTTPResponse:
        """Answer the push with `fields`, encrypted when the push was encrypted."""
        body, content_type = serialize(fields, fmt)
        if key_index is not None and self.crypto is not None:
            sealed = self.crypto.encrypt_message(body, str(int(time.time())), nonce or "0", key_index=key_index)
            envelope = {
                "Encrypt": sealed.encrypt,
                "MsgSignature": sealed.msg_signature,
                "TimeStamp": int(sealed.timestamp),
                "Nonce": sealed.nonce,
            }
            body, content_type = serialize(envelope, fmt)
        return response.text(body, content_type=content_type)

    def _check_request(self, request: Request) -> None:
        """Raise Forbidden unless the URL signature is right and its timestamp within MAX_CLOCK_SKEW_S of now."""
        args = request.args
        timestamp = args.get("timestamp", "")
        if not self.token or not check_signature(args.get("signature"), self.token, timestamp, args.get("nonce", "")):
            raise Forbidden("signature")
        if not (timestamp.isascii() and timestamp.isdigit()) or abs(self.clock() - int(timestamp)) > MAX_CLOCK_SKEW_S:
            raise Forbidden("stale")

    def _decode_push(self, request: Request) -> Tuple[Dict[str, Any], str, Optional[int]]:
        """Check the request and decode the push; raise Forbidden (403) or BadPayload (400)."""
        self._check_request(request)
        args = request.args
        timestamp = args.get("timestamp", "")
        nonce = args.get("nonce", "")
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise BadPayload("body too large")
        fields, fmt = parse_body(body)
        encrypted = fields.get("Encrypt")
        key_index: Optional[int] = None
        if str(args.get("encrypt_type", "")).lower() == "aes" or encrypted:
            if not isinstance(encrypted, str) or not encrypted:
                raise BadPayload("safe-mode push without Encrypt")
            if self.crypto is None:
                logger.error("wechat: encrypted push received but WECHAT_AES_KEY is not set")
                raise BadPayload("safe mode not configured")
            try:
                plain, key_index = self.crypto.decrypt_message(encrypted, args.get("msg_signature"), timestamp, nonce)
            except InvalidSignatureError as exc:
                raise Forbidden("msg_signature") from exc
            except DecryptError as exc:
                raise BadPayload(f"cannot decrypt: {type(exc).__name__}") from exc
            fields, _ = parse_body(plain.encode("utf-8"))
        elif self.crypto is not None:
            # The URL signature does not cover the body: with a key configured, only a sealed push is authentic.
            raise Forbidden("unencrypted")
        return fields, fmt, key_index

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Return the Sanic blueprint with the health, verification and push routes."""
        module = inspect.getmodule(self)
        bp = Blueprint("wechat_webhook", module.__name__ if module else None)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Report that the channel is mounted."""
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """Answer WeChat's URL verification with echostr when the signature is right and fresh."""
            try:
                self._check_request(request)
            except Forbidden as refusal:
                logger.warning("wechat.verify.refused reason=%s", refusal)
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr", ""))

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            """Check and decode a push, answer at once, and process it in the background."""
            try:
                push, fmt, key_index = self._decode_push(request)
            except Forbidden as refusal:
                logger.warning("wechat.push.refused reason=%s", refusal)
                return response.text("forbidden", status=403)
            except BadPayload as exc:
                logger.warning("wechat.push.rejected reason=%s", exc)
                return response.text("bad request", status=400)
            openid = str(push.get("FromUserName") or "").strip()
            msg_type = str(push.get("MsgType") or "").strip().lower()
            if not openid or not msg_type:
                logger.warning("wechat.push.rejected reason=missing FromUserName/MsgType")
                return response.text("bad request", status=400)
            args = request.args
            signed = f"{args.get('timestamp', '')}:{args.get('nonce', '')}:{args.get('signature', '')}"
            if not await self.state.claim_request(signed, push_digest(push)):
                logger.warning("wechat.push.refused reason=replayed")
                return response.text("forbidden", status=403)
            logger.info("wechat.push type=%s user=%s", msg_type, mask_openid(openid))

            if self.handoff_mode == PLATFORM and msg_type == "text" and is_handoff_request(str(push.get("Content") or "")):
                logger.info("wechat.transfer user=%s", mask_openid(openid))
                await self.state.forget_choices(openid)
                return self._passive_reply(transfer_reply(push), fmt, key_index, request.args.get("nonce", ""))

            key = dedupe_key(push)
            if key is not None and not await self.state.first_time(key):
                logger.info("wechat.push.duplicate user=%s", mask_openid(openid))
                return response.text("success")
            incoming = interpret(push)
            if incoming is None:
                logger.info("wechat.push.ignored type=%s", msg_type)
                return response.text("success")
            agent = getattr(request.app.ctx, "agent", None)
            self._spawn(self._handle_turn(on_new_message, incoming, getattr(agent, "tracker_store", None)))
            return response.text("success")

        return bp
