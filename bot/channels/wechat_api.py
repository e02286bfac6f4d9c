"""Client of the WeChat server API: a shared, file-cached access token, the customer-service send API and the
temporary-media download (the images users send).

A send that fails for a passing reason (WeChat unreachable or answering 5xx, "system busy" -1, the API's
call limits 45009/45011) is tried again with exponential backoff and jitter, attempts and total time capped
(`SendPolicy`), well inside the 48 hours WeChat allows for customer-service replies.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterator, Optional, Tuple

import requests
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt, wait_exponential_jitter

from reissue.masking import mask_openid

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Tuple[float, float] = (3.05, 6.0)  # (connect, read) seconds
REFRESH_MARGIN_S = 300.0  # refresh the token 5 minutes before it expires
TOKEN_INVALID_CODES = frozenset({40001, 40014, 42001})
QUOTA_CODES = {
    45015: "reply window (48 h) has passed",
    45047: "send quota for this user message is used up",
    48001: "the mini program is not authorised for this API",
    45002: "content too long",
}
# Worth another attempt: -1 is WeChat's "system busy" and also our "could not reach WeChat / HTTP 5xx";
# 45009 (daily call limit, which an administrator can reset) and 45011 (calls too frequent) pass too.
TRANSIENT_CODES = frozenset({-1, 45009, 45011})
MEDIA_TOO_LARGE = -3  # our code: the file is larger than the caller accepts


class WeChatApiError(Exception):
    """The API answered with an errcode, or could not be reached."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        """Keep the errcode; the message never contains the access token."""
        super().__init__(f"errcode={errcode} {errmsg}".strip())
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True)
class SendResult:
    """Outcome of a send: errcode 0 is success; -1 means the API could not be reached; how many attempts it took."""

    errcode: int
    errmsg: str = ""
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """Return True when WeChat accepted the message."""
        return self.errcode == 0

    @property
    def transient(self) -> bool:
        """Return True when the same send may well succeed a little later."""
        return self.errcode in TRANSIENT_CODES


@dataclass(frozen=True)
class MediaResult:
    """Outcome of a media download: the bytes and their content type, or the errcode (-1: not reachable)."""

    errcode: int
    data: bytes = b""
    content_type: str = ""

    @property
    def ok(self) -> bool:
        """Return True when WeChat handed over the file."""
        return self.errcode == 0 and bool(self.data)


@dataclass(frozen=True)
class SendPolicy:
    """How hard one message is tried: attempts, total seconds, and the exponential backoff between attempts."""

    max_attempts: int = 5
    max_total_s: float = 120.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive fcntl lock on `path` (created if needed) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class TokenFileCache:
    """An access token cached in a JSON file shared by every process, guarded by an fcntl lock."""

    def __init__(self, directory: Path, appid: str, api_base: str, refresh_margin_s: float = REFRESH_MARGIN_S) -> None:
        """Place the cache for this AppID and API host under `directory`."""
        digest = hashlib.sha256(f"{appid}|{api_base}".encode()).hexdigest()[:16]
        self.path = Path(directory) / f"wechat_token_{digest}.json"
        self.lock_path = Path(directory) / f"wechat_token_{digest}.lock"
        self.refresh_margin_s = refresh_margin_s

    def _read(self) -> Optional[Dict[str, Any]]:
        """Return the cached record, or None when missing or unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        return data

    def _write(self, token: str, expires_at: float) -> None:
        """Write the record atomically with owner-only permissions."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=str(self.path.parent), prefix=".wechat_token_")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"access_token": token, "expires_at": expires_at}, handle)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def get(
        self,
        fetch: Callable[[], Tuple[str, float]],
        stale_token: Optional[str] = None,
        now: Callable[[], float] = time.time,
    ) -> str:
        """Return a usable token, calling `fetch` (→ token, expires_in) under the lock when needed.

        `stale_token` is a token the API just refused: it is replaced unless another process already did.
        """
        with _file_lock(self.lock_path):
            record = self._read()
            if record is not None:
                fresh = float(record.get("expires_at", 0)) - self.refresh_margin_s > now()
                if fresh and record["access_token"] != stale_token:
                    return record["access_token"]
            token, expires_in = fetch()
            self._write(token, now() + float(expires_in))
            return token


class WeChatApiClient:
    """Fetches the access token and sends customer-service messages; never raises from `send`."""

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base: str,
        cache_dir: Path,
        timeout: Tuple[float, float] = DEFAULT_TIMEOUT,
        refresh_margin_s: float = REFRESH_MARGIN_S,
        session: Optional[requests.Session] = None,
        policy: SendPolicy = SendPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the client; no network or file access happens here; `sleep` and `clock` pace the attempts."""
        self.appid = appid
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.cache = TokenFileCache(Path(cache_dir), appid, self.api_base, refresh_margin_s)
        self._session = session
        self.policy = policy
        self._sleep = sleep
        self._clock = clock

    @property
    def session(self) -> requests.Session:
        """Return the HTTP session, created on first use."""
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def _fetch_token(self) -> Tuple[str, float]:
        """Ask WeChat for a new access token."""
        if not self.appid or not self.secret:
            raise WeChatApiError(-2, "WECHAT_APPID / WECHAT_SECRET not configured")
        try:
            response = self.session.get(
                f"{self.api_base}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
                timeout=self.timeout,
            )
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatApiError(-1, f"token request failed: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            data = data if isinstance(data, dict) else {}
            try:
                errcode = int(data.get("errcode", -1))
            except (TypeError, ValueError):
                errcode = -1
            raise WeChatApiError(errcode, str(data.get("errmsg", "")))
        logger.info("wechat.token.refreshed expires_in=%s", data.get("expires_in"))
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    def get_access_token(self, stale_token: Optional[str] = None) -> str:
        """Return the shared access token, fetching a new one when missing, expiring or refused."""
        return self.cache.get(self._fetch_token, stale_token=stale_token)

    def _post_send(self, token: str, payload: Dict[str, Any]) -> SendResult:
        """POST one message to the send API."""
        try:
            response = self.session.post(
                f"{self.api_base}/cgi-bin/message/custom/send",
                params={"access_token": token},
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
            if response.status_code >= 500:
                return SendResult(-1, f"send request answered HTTP {response.status_code}")
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            # The exception text may contain the URL with the token: log only its type.
            return SendResult(-1, f"send request failed: {type(exc).__name__}")
        if not isinstance(data, dict):
            return SendResult(-1, "unexpected response")
        try:
            errcode = int(data.get("errcode", 0) or 0)
        except (TypeError, ValueError):
            errcode = -1
        return SendResult(errcode, str(data.get("errmsg", "")))

    def _get_media(self, token: str, media_id: str, max_bytes: int) -> MediaResult:
        """GET one temporary media file; an errcode answer comes as JSON instead of the file."""
        try:
            response = self.session.get(
                f"{self.api_base}/cgi-bin/media/get",
                params={"access_token": token, "media_id": media_id},
                timeout=self.timeout,
                stream=True,
            )
            with contextlib.closing(response):
                if response.status_code >= 400:
                    return MediaResult(-1)
                content_type = str(response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                data = response.raw.read(max_bytes + 1, decode_content=True)
        except (requests.RequestException, OSError) as exc:
            logger.warning("wechat.media.failed error=%s", type(exc).__name__)
            return MediaResult(-1)
        if content_type in ("application/json", "text/plain"):
            try:
                errcode = int(json.loads(data.decode("utf-8")).get("errcode", -1))
            except (ValueError, AttributeError, TypeError):
                errcode = -1
            return MediaResult(errcode or -1)
        if len(data) > max_bytes:
            return MediaResult(MEDIA_TOO_LARGE)
        return MediaResult(0, data, content_type)

    def fetch_media_sync(self, media_id: str, max_bytes: int) -> MediaResult:
        """Download a temporary media file (at most `max_bytes`); re-fetch the token once when refused; never raise."""
        try:
            token = self.get_access_token()
            result = self._get_media(token, media_id, max_bytes)
            if result.errcode in TOKEN_INVALID_CODES:
                result = self._get_media(self.get_access_token(stale_token=token), media_id, max_bytes)
        except WeChatApiError as exc:
            result = MediaResult(exc.errcode)
        except OSError as exc:
            result = MediaResult(-1, content_type=type(exc).__name__)
        if not result.ok:
            logger.warning("wechat.media.refused errcode=%s", result.errcode)
        return result

    async def fetch_media(self, media_id: str, max_bytes: int) -> MediaResult:
        """Download a temporary media file from async code, in a worker thread; never raise."""
        return await asyncio.to_thread(self.fetch_media_sync, media_id, max_bytes)

    def send_message_sync(self, openid: str, payload: Dict[str, Any]) -> SendResult:
        """One attempt at sending a customer-service message; re-fetch the token once on 40001/42001; never raise."""
        body = dict(payload, touser=openid)
        try:
            token = self.get_access_token()
            result = self._post_send(token, body)
            if result.errcode in TOKEN_INVALID_CODES:
                logger.info("wechat.token.refused errcode=%s; fetching a new one", result.errcode)
                token = self.get_access_token(stale_token=token)
                result = self._post_send(token, body)
        except WeChatApiError as exc:
            result = SendResult(exc.errcode, exc.errmsg)
        except OSError as exc:  # token cache directory problems
            result = SendResult(-1, f"token cache: {type(exc).__name__}")
        if not result.ok:
            reason = QUOTA_CODES.get(result.errcode, result.errmsg)
            logger.warning(
                "wechat.send.failed user=%s msgtype=%s errcode=%s reason=%s",
                mask_openid(openid),
                payload.get("msgtype"),
                result.errcode,
                reason,
            )
        return result

    async def _attempt(self, openid: str, payload: Dict[str, Any]) -> SendResult:
        """One attempt from async code, in a worker thread; never raise."""
        try:
            return await asyncio.to_thread(self.send_message_sync, openid, payload)
        except Exception as exc:  # noqa: BLE001 - defensive: the sync path already catches
            logger.warning("wechat.send.crashed user=%s error=%s", mask_openid(openid), type(exc).__name__)
            return SendResult(-1, type(exc).__name__)

    async def send_message(self, openid: str, payload: Dict[str, Any]) -> SendResult:
        """Send one message, trying transient failures again within the policy (pauses on the event loop); never raise."""
        policy = self.policy
        deadline = self._clock() + policy.max_total_s

        def out_of_time(state: RetryCallState) -> bool:
            """Stop rather than start a pause that would end past the total time allowed."""
            return self._clock() + (state.upcoming_sleep or 0.0) >= deadline

        def last_result(state: RetryCallState) -> SendResult:
            """The final attempt's result, once the policy allows no more."""
            return state.outcome.result() if state.outcome is not None else SendResult(-1, "not attempted")

        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, policy.max_attempts)) | out_of_time,
            wait=wait_exponential_jitter(initial=policy.backoff_initial_s, max=policy.backoff_max_s),
            retry=retry_if_result(lambda result: result.transient),
            retry_error_callback=last_result,
            sleep=self._sleep,
        )
        attempts = 0

        async def attempt() -> SendResult:
            """One more attempt, counted."""
            nonlocal attempts
            attempts += 1
            return await self._attempt(openid, payload)

        result: SendResult = await retrying(attempt)
        return dataclasses.replace(result, attempts=attempts)
