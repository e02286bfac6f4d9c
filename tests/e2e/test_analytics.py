"""The service owner's view against the real stack: an FAQ answer, an abstention, an application and its rating,
sent as people send them, are counted in the summary (through the Rasa server's event broker and the backend's
own tables), and the dashboard shows them in Chromium, charts and tables, as the signed-in reviewer. In the
scaled shape (two Rasa processes on the SQL tracker store) a conversation is counted the same way, once, whichever
process served each message."""
from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

import pytest
import requests
from playwright.sync_api import Browser, expect

from reissue import clock
from tests.e2e.applicant import APPLICATION, fill_form, synthetic_id
from tests.e2e.conftest import create_reviewer
from tests.e2e.test_scaled import scaled  # noqa: F401 - the two scaled Rasa processes (module fixture)
from tests.e2e.test_web_widget import REPLY_TIMEOUT_MS
from tests.e2e.test_workspace import sign_in, staff_get

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "test-artifacts" / "analytics.png"
STAFF_USER = "analytics-reviewer"
STAFF_PASSWORD = "analytics-password-" + uuid.uuid4().hex[:8]
COUNT_WAIT_S = 30
CHARTS = ("daily", "turns", "topics", "funnel", "cities", "ratings")


def summary(stack) -> Dict[str, Any]:
    """The summary of the last 28 days."""
    return staff_get(stack, "/api/v1/analytics/summary")


def settled(stack) -> Dict[str, Any]:
    """The summary once the events of earlier tests have arrived (two reads a broker flush apart agree)."""
    previous = summary(stack)
    while True:
        time.sleep(2.5)
        current = summary(stack)
        if current == previous:
            return current
        previous = current


def figures(body: Dict[str, Any]) -> Dict[str, int]:
    """The figures this test changes, flattened."""
    today = next(row for row in body["daily"] if row["day"] == clock.today().isoformat())
    funnel = {row["step"]: row["count"] for row in body["funnel"]}
    topics = {row["key"]: row["count"] for row in body["topics"]}
    stars = sum(week["counts"]["1"] for week in body["ratings"])
    return {"web": today["web"], "rest": today["rest"], "turns": body["turns"]["turns"],
            "abstained": body["turns"]["abstained"], "newspaper": topics.get("newspaper", 0),
            "conversations": body["containment"]["conversations"], "contained": body["containment"]["contained"],
            **{f"funnel_{step}": count for step, count in funnel.items()}, "one_star": stars,
            "followups_open": body["followups"]["open"]}


def until(check: Callable[[], bool], seconds: float) -> bool:
    """Poll `check` every half second for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.fixture(scope="module")
def reviewer(stack) -> Tuple[str, str]:
    """A reviewer account made with the real command line."""
    done = create_reviewer(stack, STAFF_USER, STAFF_PASSWORD)
    assert done.returncode == 0, done.stderr
    return STAFF_USER, STAFF_PASSWORD


def test_conversations_are_counted_and_the_dashboard_shows_them(stack, browser: Browser, reviewer) -> None:
    before = figures(settled(stack))

    faq, abstain, applicant = (f"an-{uuid.uuid4().hex[:10]}" for _ in range(3))
    web = {"channel": "web"}
    stack.send(faq, "/greet", web)  # the widget greets by itself: no turn, no conversation of its own
    assert "登报" in stack.texts(faq, "补办要登报吗", web)
    assert "指南里没有写到" in stack.texts(abstain, "补发的证书能印成盲文版的吗")
    fill_form(stack, applicant, synthetic_id())
    number = APPLICATION.search(stack.texts(applicant, "确认提交")).group(1)
    rating = requests.post(f"{stack.backend_url}/api/v1/feedback", timeout=30,
                           json={"rating": 1, "label": "非常不满意", "application_number": number})
    assert rating.status_code == 201, rating.text
    sent = time.monotonic()

    expected = {"web": 1, "rest": 2, "conversations": 3, "turns": 13, "abstained": 1, "newspaper": 1,
                "contained": 2, "funnel_started": 1, "funnel_eligibility": 1, "funnel_data": 1, "funnel_confirmed": 1,
                "funnel_delivered": 1, "one_star": 1, "followups_open": 1}
    latest: Dict[str, int] = {}

    def counted() -> bool:
        """Whether the summary shows every change yet."""
        latest.update(figures(summary(stack)))
        return all(latest[key] - before[key] >= change for key, change in expected.items())

    assert until(counted, COUNT_WAIT_S), {key: latest[key] - before[key] for key in expected}
    print(f"\nsummary counted the conversations {time.monotonic() - sent:.1f} s after the last message")
    assert {key: latest[key] - before[key] for key in expected} == expected
    health = requests.get(f"{stack.rasa_url}/webhooks/rest/health", params={"token": stack.rasa_token}, timeout=30)
    broker = health.json()["analytics"]  # Rasa's own agent reaches the broker through its tracker store
    assert broker["sent"] >= expected["turns"] and isinstance(broker["dropped"], int), broker
    started = time.monotonic()
    shown = summary(stack)
    print(f"summary API: {1000 * (time.monotonic() - started):.0f} ms; "
          f"{shown['containment']['conversations']} conversations, {shown['turns']['turns']} turns in the session; "
          f"containment {shown['containment']}, turns {shown['turns']}, funnel "
          f"{[(row['step'], row['count']) for row in shown['funnel']]}, topics {shown['topics'][:5]}")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, stack.backend_url, reviewer)
        started = time.monotonic()
        page.goto(stack.backend_url + "/staff/analytics")
        images = page.locator("main img")
        expect(images).to_have_count(len(CHARTS))
        page.wait_for_function("() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)")
        print(f"dashboard with its {len(CHARTS)} charts loaded in {time.monotonic() - started:.2f} s")
        expect(page.get_by_role("heading", name="服务情况")).to_be_visible()
        expect(page.get_by_role("heading", name="申请漏斗")).to_be_visible()
        expect(page.get_by_role("region", name="最常回答的问题（表）")).to_contain_text("需要登报挂失吗")
        expect(page.get_by_role("region", name="各地市每周申请（表）")).to_contain_text("济南市")
        sizes = page.evaluate("() => [...document.images].map((i) => [i.naturalWidth, i.naturalHeight])")
        assert all(width > 300 and height > 100 for width, height in sizes), sizes
        with page.expect_download() as download_info:
            page.get_by_role("link", name="下载“申请漏斗”CSV").click()
        csv_bytes = Path(download_info.value.path()).read_bytes()
        assert csv_bytes.startswith("\ufeff步骤".encode("utf-8")) and "后台收到".encode() in csv_bytes
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()


def test_the_scaled_shape_counts_a_conversation_once_whichever_process_served_it(stack, scaled) -> None:  # noqa: F811
    before = figures(settled(stack))
    sender = f"an-scaled-{uuid.uuid4().hex[:8]}"
    assert "登报" in scaled.texts(0, sender, "补办要登报吗")
    assert "指南里没有写到" in scaled.texts(1, sender, "补发的证书能印成盲文版的吗")
    expected = {"rest": 1, "conversations": 1, "turns": 2, "abstained": 1, "newspaper": 1, "contained": 0}
    latest: Dict[str, int] = {}

    def counted() -> bool:
        """Whether the summary shows both turns yet."""
        latest.update(figures(summary(stack)))
        return latest["turns"] - before["turns"] >= expected["turns"]

    assert until(counted, COUNT_WAIT_S), {key: latest[key] - before[key] for key in expected}
    assert {key: latest[key] - before[key] for key in expected} == expected
