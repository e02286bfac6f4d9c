"""Tests of the WeChat API client against the local fake server: shared token cache, refresh, errors, retries."""
from __future__ import annotations

import logging
import socket
import stat
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Tuple

import pytest

from bot.channels.wechat_api import SendPolicy, TokenFileCache, WeChatApiClient
from tests.fakes.wechat_api_server import FAKE_APPID, FAKE_SECRET, FakeWeChatRecorder, start_fake_wechat_api

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
TEXT = {"msgtype": "text", "text": {"content": "您好"}}


def make_client(base_url: str, cache_dir: Path, **kwargs) -> WeChatApiClient:
    """Return a client of the fake server with short timeouts."""
    return WeChatApiClient(FAKE_APPID, FAKE_SECRET, base_url, cache_dir, timeout=(2.0, 5.0), **kwargs)


def test_send_fetches_token_once_and_delivers(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """Two sends share one token; the body carries touser and the message."""
    base_url, recorder = fake_wechat
    client = make_client(base_url, tmp_path)
    assert client.send_message_sync(OPENID, TEXT).ok
    assert client.send_message_sync(OPENID, TEXT).ok
    assert len(recorder.token_requests) == 1
    assert recorder.token_requests[0] == {"grant_type": "client_credential", "appid": FAKE_APPID, "secret": FAKE_SECRET}
    assert [s.body for s in recorder.sends] == [dict(TEXT, touser=OPENID)] * 2


def test_token_cache_is_shared_between_clients(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """Clients (standing in for processes) using the same directory share one token, even concurrently."""
    base_url, recorder = fake_wechat
    tokens: List[str] = []

    def worker() -> None:
        """Fetch the token through a fresh client."""
        tokens.append(make_client(base_url, tmp_path).get_access_token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and len(tokens) == 8
    assert len(recorder.token_requests) == 1


def test_token_file_is_private(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """The cached token file is readable by its owner only."""
    base_url, _ = fake_wechat
    client = make_client(base_url, tmp_path)
    client.get_access_token()
    mode = stat.S_IMODE(client.cache.path.stat().st_mode)
    assert mode == 0o600


def test_token_is_refreshed_early(tmp_path: Path) -> None:
    """A token within the refresh margin of its expiry is replaced; a fresh one is reused."""
    cache = TokenFileCache(tmp_path, FAKE_APPID, "http://x", refresh_margin_s=300)
    issued = iter(["t1", "t2", "t3"])
    clock = {"now": 1_000_000.0}

    def fetch() -> Tuple[str, float]:
        """Issue the next token, valid for 7200 s."""
        return next(issued), 7200.0

    assert cache.get(fetch, now=lambda: clock["now"]) == "t1"
    clock["now"] += 7200 - 301
    assert cache.get(fetch, now=lambda: clock["now"]) == "t1"
    clock["now"] += 2  # now inside the last five minutes
    assert cache.get(fetch, now=lambda: clock["now"]) == "t2"


def test_stale_token_is_replaced_unless_already_replaced(tmp_path: Path) -> None:
    """A refused token triggers a fetch; if another process already replaced it, its token is used."""
    cache = TokenFileCache(tmp_path, FAKE_APPID, "http://x")
    issued = iter(["t1", "t2"])
    fetch = lambda: (next(issued), 7200.0)  # noqa: E731 - tiny test stub
    assert cache.get(fetch) == "t1"
    assert cache.get(fetch, stale_token="t1") == "t2"
    assert cache.get(fetch, stale_token="t1") == "t2"  # already replaced: no new fetch


def test_refetches_once_on_40001(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """When WeChat refuses the cached token, a new token is fetched and the send succeeds."""
    base_url, recorder = fake_wechat
    client = make_client(base_url, tmp_path)
    assert client.send_message_sync(OPENID, TEXT).ok
    recorder.invalidate_tokens()
    result = client.send_message_sync(OPENID, TEXT)
    assert result.ok
    assert len(recorder.token_requests) == 2
    assert [s.errcode for s in recorder.sends] == [0, 40001, 0]
    assert recorder.sends[-1].access_token == "fake-token-2"


def test_refetches_only_once_on_repeated_42001(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """Two token errors in a row end in a failed result, not a loop."""
    base_url, recorder = fake_wechat
    recorder.script_send_errcodes(42001, 42001)
    result = make_client(base_url, tmp_path).send_message_sync(OPENID, TEXT)
    assert result.errcode == 42001 and not result.ok
    assert len(recorder.sends) == 2 and len(recorder.token_requests) == 2


@pytest.mark.parametrize("errcode", [45015, 45047, 48001])
def test_quota_errors_are_logged_masked_not_raised(
    errcode: int, fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Window, quota and permission errors return a failed result and log a masked openid."""
    base_url, recorder = fake_wechat
    recorder.script_send_errcodes(errcode)
    with caplog.at_level(logging.DEBUG, logger="bot.channels"):
        result = make_client(base_url, tmp_path).send_message_sync(OPENID, TEXT)
    assert result.errcode == errcode
    assert str(errcode) in caplog.text
    assert OPENID not in caplog.text and "您好" not in caplog.text and "fake-token" not in caplog.text


async def test_async_send_uses_a_thread(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """The async wrapper delivers and returns the result."""
    base_url, recorder = fake_wechat
    result = await make_client(base_url, tmp_path).send_message(OPENID, TEXT)
    assert result.ok and recorder.delivered(OPENID)[0].content == "您好"


def test_unreachable_api_never_raises_nor_logs_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A closed port gives errcode -1; the secret and openid stay out of the log."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with caplog.at_level(logging.DEBUG, logger="bot.channels"):
        result = make_client(f"http://127.0.0.1:{port}", tmp_path).send_message_sync(OPENID, TEXT)
    assert result.errcode == -1
    assert FAKE_SECRET not in caplog.text and OPENID not in caplog.text


def test_wrong_secret_is_a_failed_result(tmp_path: Path) -> None:
    """A token refusal (bad secret) surfaces as the API's errcode."""
    base_url, recorder, stop = start_fake_wechat_api(secret="another-secret")
    try:
        result = make_client(base_url, tmp_path).send_message_sync(OPENID, TEXT)
    finally:
        stop()
    assert result.errcode == 40125 and recorder.sends == []


def test_missing_credentials_are_a_failed_result(tmp_path: Path) -> None:
    """Without AppID/secret nothing is requested and the send fails cleanly."""
    client = WeChatApiClient("", "", "http://127.0.0.1:9", tmp_path)
    assert client.send_message_sync(OPENID, TEXT).errcode == -2


# --- retries of the send API ------------------------------------------------------------------------


class ScriptedSession:
    """A stand-in for requests.Session: a token for every GET, the scripted (status, body) answers for POSTs."""

    def __init__(self, *answers: Tuple[int, Dict[str, Any]]) -> None:
        """Answer the POSTs in this order; then succeed."""
        self.answers = list(answers)
        self.posts = 0

    def get(self, url: str, **kwargs: Any) -> SimpleNamespace:
        """The token endpoint."""
        return SimpleNamespace(status_code=200, json=lambda: {"access_token": "tok", "expires_in": 7200})

    def post(self, url: str, **kwargs: Any) -> SimpleNamespace:
        """The send endpoint: the next scripted answer."""
        self.posts += 1
        status, body = self.answers.pop(0) if self.answers else (200, {"errcode": 0})
        return SimpleNamespace(status_code=status, json=lambda: body)


def retrying_client(tmp_path: Path, session: Any = None, base_url: str = "http://127.0.0.1:9", **policy: Any):
    """A client with the given policy whose pauses are recorded and advance a fake clock instead of sleeping."""
    sleeps: List[float] = []

    async def sleep(seconds: float) -> None:
        """Record the pause."""
        sleeps.append(seconds)

    client = make_client(base_url, tmp_path, session=session, policy=SendPolicy(**policy), sleep=sleep,
                         clock=lambda: 1000.0 + sum(sleeps))
    return client, sleeps


async def test_5xx_and_system_busy_are_tried_again_with_growing_pauses(tmp_path: Path) -> None:
    """HTTP 503, then "system busy", then success: three attempts, two pauses, the second longer on average."""
    session = ScriptedSession((503, {}), (200, {"errcode": -1, "errmsg": "system error"}))
    client, sleeps = retrying_client(tmp_path, session, backoff_initial_s=1.0, backoff_max_s=30.0)
    result = await client.send_message(OPENID, TEXT)
    assert result.ok and result.attempts == 3 and session.posts == 3
    assert len(sleeps) == 2 and 1.0 <= sleeps[0] <= 2.0 and 2.0 <= sleeps[1] <= 3.0


async def test_attempts_are_capped(tmp_path: Path) -> None:
    """A WeChat that stays busy is tried max_attempts times; the last result comes back, nothing raises."""
    session = ScriptedSession(*[(200, {"errcode": -1})] * 10)
    client, sleeps = retrying_client(tmp_path, session, max_attempts=3)
    result = await client.send_message(OPENID, TEXT)
    assert (result.errcode, result.attempts, session.posts, len(sleeps)) == (-1, 3, 3, 2)


async def test_total_time_is_capped(tmp_path: Path) -> None:
    """No pause is started that would end past max_total_s."""
    session = ScriptedSession(*[(200, {"errcode": 45011})] * 10)
    client, sleeps = retrying_client(tmp_path, session, max_attempts=10, max_total_s=6.0, backoff_initial_s=2.0)
    result = await client.send_message(OPENID, TEXT)
    assert result.errcode == 45011 and sum(sleeps) < 6.0 and session.posts == len(sleeps) + 1 < 10


@pytest.mark.parametrize("errcode", [45015, 45047, 48001, 45002, -2])
async def test_final_errors_are_not_tried_again(tmp_path: Path, errcode: int) -> None:
    """Window passed, quota used up, not authorised, too long, not configured: one attempt."""
    session = ScriptedSession((200, {"errcode": errcode}))
    client, sleeps = retrying_client(tmp_path, session)
    if errcode == -2:
        client.appid = ""
    result = await client.send_message(OPENID, TEXT)
    assert result.errcode == errcode and result.attempts == 1 and sleeps == []


async def test_unreachable_api_is_tried_again(tmp_path: Path) -> None:
    """A closed port (no token can be fetched) counts as passing: every attempt is made."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client, sleeps = retrying_client(tmp_path, base_url=f"http://127.0.0.1:{port}", max_attempts=3)
    result = await client.send_message(OPENID, TEXT)
    assert result.errcode == -1 and result.attempts == 3 and len(sleeps) == 2


def test_media_is_downloaded_with_the_cached_token(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """An image a user sent comes back as its bytes and type, fetched with the token the sends use."""
    base_url, recorder = fake_wechat
    recorder.add_media("MEDIA_1", b"\xff\xd8\xff\xe0 jpeg bytes")
    client = make_client(base_url, tmp_path)
    assert client.send_message_sync(OPENID, TEXT).ok
    media = client.fetch_media_sync("MEDIA_1", max_bytes=1024)
    assert media.ok and media.data == b"\xff\xd8\xff\xe0 jpeg bytes" and media.content_type == "image/jpeg"
    assert len(recorder.token_requests) == 1
    assert recorder.media_requests == [{"access_token": recorder.sends[0].access_token, "media_id": "MEDIA_1"}]


def test_media_refetches_the_token_once_when_refused(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """A token WeChat no longer accepts (40001) is replaced and the download tried once more."""
    base_url, recorder = fake_wechat
    recorder.add_media("MEDIA_1", b"\xff\xd8\xff")
    client = make_client(base_url, tmp_path)
    client.get_access_token()
    recorder.invalidate_tokens()
    assert client.fetch_media_sync("MEDIA_1", max_bytes=1024).ok
    assert len(recorder.token_requests) == 2 and len(recorder.media_requests) == 2


def test_unknown_or_too_large_media_is_a_failed_result(fake_wechat: Tuple[str, FakeWeChatRecorder], tmp_path: Path) -> None:
    """An expired media id gives WeChat's errcode; a file over the limit is not read whole."""
    from bot.channels.wechat_api import MEDIA_TOO_LARGE

    base_url, recorder = fake_wechat
    recorder.add_media("BIG", b"x" * 5000)
    client = make_client(base_url, tmp_path)
    missing = client.fetch_media_sync("GONE", max_bytes=1024)
    assert not missing.ok and missing.errcode == 40007 and missing.data == b""
    big = client.fetch_media_sync("BIG", max_bytes=1024)
    assert not big.ok and big.errcode == MEDIA_TOO_LARGE


def test_unreachable_media_api_never_raises(tmp_path: Path) -> None:
    """With WeChat unreachable the download is a failed result (-1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert make_client(f"http://127.0.0.1:{port}", tmp_path).fetch_media_sync("M", max_bytes=10).errcode == -1
