"""Faults on the real stack: the backend down, slow, answering 500s or garbage; the action server killed mid-submission.

Every application must reach the backend exactly once after recovery, and the applicant is told the truth
at every step: never "提交成功" before the backend has the application, a reference to query with, and
the application number once it is delivered. (Rasa restarted mid-form is in test_scaled.py.)
"""
from __future__ import annotations

import threading
import time
from typing import Callable, List, Optional

import pytest

from tests.e2e.applicant import APPLICATION, REFERENCE, fill_form, synthetic_id

DELIVERY_WAIT_S = 120.0


def stored(stack, id_number: str) -> List[str]:
    """Application numbers the backend holds for this ID number."""
    return [item["number"] for item in stack.backend_applications(id_number)]


def wait_until(condition: Callable[[], bool], timeout_s: float = DELIVERY_WAIT_S, step_s: float = 0.5) -> bool:
    """Poll `condition` until true or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step_s)
    return condition()


def progress(stack, sender: str, reference: str, id_number: str) -> str:
    """Ask for the progress of `reference` as an applicant would."""
    reply = stack.texts(sender, f"查一下进度，参考号{reference}")
    if "后4位" in reply or "身份证" in reply:
        reply = stack.texts(sender, id_number[-4:])
    return reply


def assert_queued_truthfully(reply: str) -> str:
    """The applicant is told the application is saved and queued (not submitted); returns the reference."""
    assert "提交成功" not in reply and "申请编号是" not in reply, reply
    match = REFERENCE.search(reply)
    assert match, f"no reference in: {reply}"
    assert "自动补交" in reply and "不需要您重复提交" in reply
    return match.group(1)


def assert_delivered_once(stack, sender: str, reference: str, id_number: str) -> str:
    """Exactly one application reaches the backend; the reference then leads to its number."""
    assert wait_until(lambda: len(stored(stack, id_number)) >= 1), "never delivered after recovery"
    time.sleep(3)  # a late duplicate would show up now
    numbers = stored(stack, id_number)
    assert len(numbers) == 1, f"delivered {len(numbers)} times: {numbers}"
    reply = progress(stack, sender, reference, id_number)
    assert numbers[0] in reply, f"progress by reference (last four {id_number[-4:]}) does not give the number: {reply}"
    return numbers[0]


@pytest.fixture(autouse=True)
def healed_proxy(stack):
    """Every test starts and ends with a healthy backend path."""
    stack.proxy.heal()
    yield
    stack.proxy.heal()


def test_backend_down_for_a_while_queues_and_delivers_exactly_once(stack, sender) -> None:
    """Connections dropped for ~25 s (the inline tries and several worker retries): one application after."""
    id_number = synthetic_id()
    fill_form(stack, sender, id_number)
    stack.proxy.fail_next(100_000, drop_connection=True)
    reference = assert_queued_truthfully(stack.texts(sender, "确认提交"))
    pending = progress(stack, sender, reference, id_number)
    assert "等待补交" in pending, f"last four {id_number[-4:]}: {pending}"
    attempts_before = len(stack.proxy.posts())
    time.sleep(25)
    assert stored(stack, id_number) == []
    stack.proxy.heal()
    assert_delivered_once(stack, sender, reference, id_number)
    assert len(stack.proxy.posts()) > attempts_before, "the worker never retried during the outage"


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda proxy: proxy.fail_next(3, status=500), id="500s"),
        pytest.param(lambda proxy: proxy.garbage_next(3), id="garbage"),
        pytest.param(lambda proxy: proxy.garbage_next(1, forward=True), id="garbage-after-storing"),
        pytest.param(lambda proxy: proxy.slow_next(1, delay_s=9.0), id="slow-after-timeout"),
    ],
)
def test_backend_faults_never_lose_or_double_an_application(stack, sender, fault) -> None:
    """500s, non-JSON answers (before or after the backend stored it) and a slow answer: queued, then exactly once."""
    id_number = synthetic_id()
    fill_form(stack, sender, id_number)
    fault(stack.proxy)
    reply = stack.texts(sender, "确认提交")
    if "提交成功" in reply:  # only acceptable if the backend really has it
        number = APPLICATION.search(reply).group(1)
        assert stored(stack, id_number) == [number]
        return
    reference = assert_queued_truthfully(reply)
    assert_delivered_once(stack, sender, reference, id_number)


def test_action_server_killed_mid_submission_loses_and_doubles_nothing(stack, sender) -> None:
    """The action server dies while the backend call is in flight and comes back; the applicant confirms again.

    The outbox row was written before the call, so the worker delivers it; the repeated confirmation must not
    file a second application.
    """
    id_number = synthetic_id()
    fill_form(stack, sender, id_number)
    stack.proxy.slow_next(1, delay_s=4.0)
    replies: List[Optional[str]] = []
    confirm = threading.Thread(target=lambda: replies.append(stack.texts(sender, "确认提交")))
    confirm.start()
    assert stack.proxy.arrived.wait(30), "the submission never reached the backend path"
    stack.stack.restart("actions")
    confirm.join(timeout=90)
    first = replies[0] if replies else ""
    assert "提交成功" not in first or APPLICATION.search(first), first
    assert wait_until(lambda: len(stored(stack, id_number)) >= 1), "the in-flight application was lost"
    again = stack.texts(sender, "确认提交")
    assert again, "no reply after the action server came back"
    time.sleep(3)
    numbers = stored(stack, id_number)
    assert len(numbers) == 1, f"filed {len(numbers)} times after the restart: {numbers}; replies: {first!r} / {again!r}"
    assert "提交成功" not in again or numbers[0] in again, again
