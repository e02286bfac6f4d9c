"""Outage of the scaled shape: PostgreSQL, then Redis, stops answering in the middle of a form.

The services of `make run-scaled` (`config/scaled/scaled.env`: backend and tracker store on PostgreSQL, Redis lock
store and shared rate limits, the outbox on local disk) run on their own ports and reach PostgreSQL and Redis
through a `FreezingProxy` (tests/fakes/freezing_proxy.py). A frozen proxy is what SIGSTOP of the server looks like
to them — connections accepted, nothing answered — without stopping the machine's shared servers. PostgreSQL
frozen: every REST message is answered within 5 s, both health routes (which watch PostgreSQL) say 503 within 3 s;
thawed, the form carries on, and an application confirmed during the outage reaches the backend exactly once (when
the reply named it) or not at all until confirmed again. Redis frozen: every message is answered within 5 s with the
apology, and a new conversation is served once it is thawed.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
import redis
import requests

from reissue import knowledge
from scripts.bench import admin_sql as admin
from scripts.stack import ROOT, Stack
from tests.e2e.applicant import APPLICATION, REFERENCE, dialogue, synthetic_id
from tests.e2e.conftest import OFFSET, STAFF_TOKEN, keep_dump
from tests.fakes.freezing_proxy import FreezingProxy

ANSWER_S = 5.0  # every REST message answered within this, outage or not
HEALTH_S = 3.0  # the health routes say 503 within this
POSTGRES_WATCHERS = ("rasa", "backend")  # the health routes that watch PostgreSQL (tracker store; backend database)
REDIS_WATCHERS = ("rasa",)  # and Redis (Rasa's conversation locks; the backend does not use Redis)
RECOVERY_S = 30.0
DELIVERY_S = 60.0
PORTS = {"RASA_PORT": 15405 + OFFSET, "ACTION_PORT": 15455 + OFFSET, "BACKEND_PORT": 18405 + OFFSET}
SUMMARY = len(dialogue("")) - 1  # the step whose reply is the summary


def scaled_env() -> Dict[str, str]:
    """The settings of `make run-scaled` (config/scaled/scaled.env)."""
    values = {}
    for line in (ROOT / "config" / "scaled" / "scaled.env").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier() and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


@dataclass
class Outage:
    """The scaled services behind freezing proxies, and how to talk to them."""

    stack: Stack
    postgres: FreezingProxy
    redis: FreezingProxy
    token: str

    def url(self, name: str) -> str:
        """Base URL of one service by its port variable."""
        return f"http://127.0.0.1:{PORTS[name]}"

    def timed(self, sender: str, text: str) -> Tuple[float, str]:
        """One message: how long its answer took, and its texts joined (asserting HTTP 200)."""
        start = time.monotonic()
        response = requests.post(f"{self.url('RASA_PORT')}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=ANSWER_S + 30)
        elapsed = time.monotonic() - start
        assert response.status_code == 200, response.text
        return elapsed, "\n".join(m.get("text", "") for m in response.json() if m.get("text"))

    def texts(self, sender: str, text: str) -> str:
        """The reply texts of one message."""
        return self.timed(sender, text)[1]

    def health(self) -> List[Tuple[str, float, int]]:
        """(route, seconds, status) of the Rasa and the backend health routes, each asked now."""
        found = []
        for name, path in (("rasa", "/webhooks/rest/health"), ("backend", "/healthz")):
            start = time.monotonic()
            base = self.url("RASA_PORT" if name == "rasa" else "BACKEND_PORT")
            try:
                status = requests.get(base + path, timeout=HEALTH_S + 30).status_code
            except requests.RequestException:
                status = 0
            found.append((name, time.monotonic() - start, status))
        return found

    def wait_healthy(self) -> None:
        """Block until both health routes answer 200 again."""
        deadline = time.monotonic() + RECOVERY_S
        while time.monotonic() < deadline:
            if all(status == 200 for _, _, status in self.health()):
                return
            time.sleep(0.5)
        raise AssertionError(f"not healthy {RECOVERY_S:g} s after the outage: {self.health()}")

    def stored(self, id_number: str) -> List[str]:
        """Application numbers this stack's backend holds for the ID number."""
        response = requests.get(f"{self.url('BACKEND_PORT')}/api/v1/applications", params={"q": id_number},
                                headers={"Authorization": f"Bearer {STAFF_TOKEN}"}, timeout=30)
        response.raise_for_status()
        return [item["number"] for item in response.json()["items"]]


@pytest.fixture(scope="module")
def outage(stack) -> Iterator[Outage]:
    """Backend, action server, outbox worker and one Rasa process as `make run-scaled` configures them, on a
    fresh database and Redis prefix reached through freezing proxies; cleaned up after."""
    suffix = uuid.uuid4().hex[:10]
    database, prefix = f"reissue_outage_{suffix}", f"outage{suffix}"
    admin(f"CREATE DATABASE {database}")
    postgres, lock_redis = FreezingProxy(("127.0.0.1", 5432)), FreezingProxy(("127.0.0.1", 6379))
    var_dir = Path(stack.var_dir) / "outage"
    url = f"postgresql://postgres@127.0.0.1:{postgres.port}/{database}"
    env = {**stack.stack.env, **scaled_env(), **{key: str(port) for key, port in PORTS.items()}}
    env.update({
        "REISSUE_VAR_DIR": str(var_dir), "REISSUE_BACKEND_URL": f"http://127.0.0.1:{PORTS['BACKEND_PORT']}",
        "SANIC_WORKERS": "1", "ACTION_SERVER_SANIC_WORKERS": "1",  # one of each is enough, and cheaper
        "TRACKER_STORE_URL": url, "DATABASE_URL": url,
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(lock_redis.port), "LOCK_KEY_PREFIX": prefix,
        "RATE_LIMIT_REDIS_URL": f"redis://127.0.0.1:{lock_redis.port}/2",
        "WECHAT_STATE_REDIS_URL": f"redis://127.0.0.1:{lock_redis.port}/2",
    })
    env.pop("OUTBOX_URL", None)  # the outbox on local disk, as make run-scaled has it
    services = Stack.from_environment(env, parts=["backend", "actions", "outbox-worker", "rasa"])
    services.log_dir = Path(stack.stack.log_dir) / "outage"
    try:
        services.start(timeout_s=400)
        yield Outage(stack=services, postgres=postgres, redis=lock_redis, token=stack.rasa_token)
    finally:
        services.stop()
        postgres.close()
        lock_redis.close()
        keep_dump(stack, database)
        admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        client = redis.Redis(host="127.0.0.1", port=6379, db=1)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def assert_answers_through_the_outage(outage: Outage, sender: str, messages: List[str],
                                      down: Tuple[str, ...]) -> List[str]:
    """While a store is frozen: both health routes answer within 3 s (503 for the routes in `down`: those that watch
    the frozen store), each message gets a reply within 5 s."""
    for route, seconds, status in outage.health():
        print(f"outage: {route} health {status} in {seconds:.2f} s")
        assert seconds < HEALTH_S and (status == 503 if route in down else status in (200, 503)), f"{route}: {status}"
    replies = []
    for message in messages:
        seconds, reply = outage.timed(sender, message)
        print(f"outage: {message!r} answered in {seconds:.2f} s: {reply[:60]!r}")
        assert reply and seconds < ANSWER_S, f"{message!r}: {seconds:.1f} s, {reply!r}"
        replies.append(reply)
    return replies


def during(proxy: FreezingProxy, outage: Outage, check: Callable[[], List[str]]) -> List[str]:
    """Run `check` with the proxy frozen; thaw and wait for both services to be healthy again."""
    proxy.freeze()
    try:
        return check()
    finally:
        proxy.thaw()
        outage.wait_healthy()


def confirm_during(proxy: FreezingProxy, outage: Outage, sender: str, id_number: str,
                   down: Tuple[str, ...]) -> None:
    """Confirm the summary while `proxy` is frozen, in time: an application number or reference in the reply means it
    reaches the backend exactly once; otherwise nothing was filed, and confirming again after the outage files it
    once."""
    reply = during(proxy, outage, lambda: assert_answers_through_the_outage(outage, sender, ["确认提交"], down))[0]
    taken = APPLICATION.search(reply) or REFERENCE.search(reply)
    if taken is None:
        assert reply in (knowledge.message("channel_not_kept"), knowledge.message("channel_sorry")), reply
        assert outage.stored(id_number) == []
        reply = outage.texts(sender, "确认提交")
        assert APPLICATION.search(reply), reply
    deadline = time.monotonic() + DELIVERY_S
    while time.monotonic() < deadline and not outage.stored(id_number):
        time.sleep(1)
    time.sleep(3)  # a second delivery, if there were one, would come within the worker's next passes
    assert len(outage.stored(id_number)) == 1, outage.stored(id_number)


def freeze_mid_form(outage: Outage, proxy: FreezingProxy, sender: str, id_number: str, during_outage: str,
                    down: Tuple[str, ...]) -> Tuple[List[Tuple[str, str]], List[str]]:
    """Fill the form up to the ID number, then send it and `during_outage` with `proxy` frozen: the dialogue's steps
    and the replies given during the outage."""
    steps = dialogue(id_number)
    for message, expected in steps[:6]:
        assert expected in outage.texts(sender, message), message
    replies = during(proxy, outage,
                     lambda: assert_answers_through_the_outage(outage, sender, [steps[6][0], during_outage], down))
    return steps, replies


def resume(outage: Outage, sender: str, steps: List[Tuple[str, str]]) -> None:
    """After the outage the form goes on where it was, each answer within 5 s, up to the summary."""
    for turn, (message, expected) in enumerate(steps[6:], 6):
        seconds, reply = outage.timed(sender, message)
        assert expected in reply and seconds < ANSWER_S, f"turn {turn} after the outage: {seconds:.1f} s, {reply!r}"
    assert turn == SUMMARY


def test_a_frozen_postgresql_mid_form_answers_in_time_and_the_form_resumes(outage: Outage) -> None:
    """Frozen after the name: the next messages are answered within 5 s and both health routes say 503 within 3 s;
    thawed, the form asks again what it asked before and goes on to the summary; the summary confirmed in a second
    outage is filed exactly once."""
    sender, id_number = f"outage-pg-{uuid.uuid4().hex[:8]}", synthetic_id()
    steps, replies = freeze_mid_form(outage, outage.postgres, sender, id_number, "补办要登报吗", POSTGRES_WATCHERS)
    assert all(reply == knowledge.message("channel_not_kept") for reply in replies), replies
    resume(outage, sender, steps)
    confirm_during(outage.postgres, outage, sender, id_number, down=POSTGRES_WATCHERS)


def test_a_frozen_redis_is_met_with_an_apology_in_time_and_the_form_resumes(outage: Outage) -> None:
    """Frozen mid-form: each message is answered within 5 s with the apology (the conversation lock cannot be
    taken) and the Rasa health route says 503 within 3 s; thawed, the same applicant's form goes on where it was
    (the ticket requests held up in the frozen connection hand out no ticket) and a new conversation is served."""
    sender, id_number = f"outage-redis-{uuid.uuid4().hex[:8]}", synthetic_id()
    steps, replies = freeze_mid_form(outage, outage.redis, sender, id_number, "确认提交", REDIS_WATCHERS)
    assert all(reply == knowledge.message("channel_sorry") for reply in replies), replies
    assert outage.stored(id_number) == []
    resume(outage, sender, steps)
    assert "登报" in outage.texts(f"outage-after-{uuid.uuid4().hex[:8]}", "补办要登报吗")


def test_the_proxy_holds_bytes_while_frozen_and_forwards_them_when_thawed() -> None:
    """The freezing proxy itself, against the machine's Redis: a PING waits while frozen and is answered after."""
    proxy = FreezingProxy(("127.0.0.1", 6379))
    try:
        client = redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=1.0)
        assert client.ping()
        proxy.freeze()
        with pytest.raises(redis.TimeoutError):
            client.ping()
        proxy.thaw()
        assert redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=1.0).ping()
    finally:
        proxy.close()

